/**
 * Schema version 1 of the wipe certificate, frozen: certificates issued before version 2 still
 * verify against these types, this folder's JSON Schema and its rules (v1/rules.ts), which are
 * the rules they were issued under. Nothing issues version 1 any more. The original text:
 *
 * The wipe certificate's shape: what the workflow hands in (CertificateInput) and the signed
 * document that comes out (WipeCertificate). The field blocks follow NIST SP 800-88 rev.1
 * Appendix G (person, media, sanitization, destination, attestation) plus the PCI DSS fields
 * 9.5.1.1 (POI inventory) and 9.4.7 (media made unrecoverable); see shared REFERENCES.md.
 *
 * Results are never inferred: a step the tool did not measure is UNKNOWN, and UNKNOWN can
 * never add up to PASS (the FOG lesson: "Wiping complete" while nothing was erased).
 */

export const SCHEMA_VERSION_1 = 'posdecom-certificate/1' as const;

/** Protocol order; the certificate lists steps in the order the workflow ran them. */
export const STEP_NAMES = [
  'identify',
  'authorize',
  'inventory',
  'disable-acceptance',
  'settle',
  'network-down',
  'backup',
  'erase',
  'erase-verification',
  'key-zeroization',
  'unbind',
  'finalize',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

export const RESULTS = ['PASS', 'WARN', 'FAIL', 'UNKNOWN'] as const;
export type Result = (typeof RESULTS)[number];

/**
 * Steps that must be present and PASS for an overall PASS. The per-target ones need one record
 * per channel (disable-acceptance) or per store (erase, erase-verification) that the device has.
 */
export const MANDATORY_STEPS: readonly StepName[] = [
  'identify',
  'disable-acceptance',
  'settle',
  'network-down',
  'backup',
  'erase',
  'erase-verification',
  'key-zeroization',
  'unbind',
  'finalize',
];
export const PER_CHANNEL_STEPS: readonly StepName[] = ['disable-acceptance'];
export const PER_STORE_STEPS: readonly StepName[] = ['erase', 'erase-verification'];

export interface StepRecord {
  step: StepName;
  /** Channel name for disable-acceptance, store name for erase / erase-verification. */
  target?: string;
  /** UTC ISO 8601, e.g. 2025-01-31T10:15:00.000Z. */
  startedAt: string;
  endedAt: string;
  result: Result;
  /**
   * What was measured: status readings, settlement totals, digests, method and passes, sample
   * counts, key check values before/after. Never key material or secrets. Must be JSON data
   * (finite numbers, no undefined inside arrays, no Dates or Buffers). A PASS with empty
   * evidence is downgraded to UNKNOWN by buildCertificate and rejected by the verifier.
   * The keys of EraseEvidence / EraseVerificationEvidence are read by the rules.
   */
  evidence: Record<string, unknown>;
  note?: string;
}

/** Evidence keys the sanitization summary reads from an `erase` step. */
export interface EraseEvidence extends Record<string, unknown> {
  /** Terminal erase method (SPEC s.6.11): 'crypto' | 'overwrite3' | 'overwrite1'. */
  method: string;
  passes: number;
}

/** Evidence keys the sanitization summary reads from an `erase-verification` step. */
export interface EraseVerificationEvidence extends Record<string, unknown> {
  /** NIST s.4.7: full read of the store, or pseudorandom sampling. */
  verification: 'full' | 'sampling';
  /** True when the agent read the store back itself (not the terminal's own VERIFY_ERASE). */
  readBack: boolean;
  samples?: number;
  bytesRead?: number;
}

export interface DeviceStore {
  name: string;
  kind: string;
  /** The terminal says the store may hold cardholder data (PCI DSS 9.4.7 scope). */
  cardData: boolean;
}

export interface DeviceRecord {
  vendor: string;
  model: string;
  serial: string;
  firmware: string;
  assetTag?: string;
  location?: string;
  /** null when the terminal did not report one (already unbound, or not read). */
  tidBefore: string | null;
  midBefore: string | null;
  tidAfter: string | null;
  midAfter: string | null;
  /** Acceptance channels the terminal has (HELLO caps.channels). */
  channels: string[];
  /** Stores the terminal has (STORES). */
  stores: DeviceStore[];
}

export interface WorkOrder {
  id: string;
  reason: string;
  owner: string;
  authorizationRef: string;
  /** NIST media destination: internal reuse, external reuse, recycling, manufacturer, other. */
  destination: string;
}

export interface BackupRecord {
  made: boolean;
  /** Where the encrypted backup was written; null when none was made. */
  location: string | null;
  /** sha256 (hex) of the backup's manifest.json; null when none was made. */
  manifestSha256: string | null;
}

/** Digests (hex sha256) of files the certificate vouches for, so they cannot be swapped later. */
export interface BoundFiles {
  journalSha256: string;
  auditLogSha256: string;
  transcriptSha256: string | null;
}

export interface Technician {
  name: string;
  title?: string;
  organisation: string;
  /** Email or phone. */
  contact: string;
  /** RFC 4514-style subject of the signing certificate; the verifier checks it matches. */
  signerSubject: string;
}

export type MethodType = 'Clear' | 'Purge';

export interface SanitizationSummary {
  methodType: MethodType;
  /** NIST vocabulary: 'crypto erase', 'overwrite', 'other' (comma-joined when stores differ). */
  methodUsed: string;
  /** One entry per store: "journal: overwrite3, 3 passes". */
  methodDetails: string[];
  /** NIST: 'full', 'quick sampling', 'other', or 'none' when nothing was verified. */
  verificationMethod: string;
  postSanitizationClassification?: string;
  result: Result;
}

export interface OverallResult {
  result: Result;
  /** Why the result is not PASS (empty when PASS). */
  reasons: string[];
}

export interface PciDssFields {
  /** 9.5.1.1: the POI device list entry this decommissioning updates. */
  poiInventory: {
    requirement: '9.5.1.1';
    make: string;
    model: string;
    serialNumber: string;
    location: string | null;
    status: 'decommissioned' | 'decommission-incomplete';
  };
  /** 9.4.7: media with cardholder data made unrecoverable when no longer needed. */
  mediaDestruction: {
    requirement: '9.4.7';
    cardholderDataStores: string[];
    statement: string;
  };
}

export interface WipeCertificateV1 {
  schemaVersion: typeof SCHEMA_VERSION_1;
  certificateId: string;
  /** UTC ISO 8601. */
  issuedAt: string;
  tool: { name: string; version: string };
  performedBy: Technician;
  device: DeviceRecord;
  workOrder: WorkOrder;
  steps: StepRecord[];
  sanitization: SanitizationSummary;
  backup: BackupRecord;
  boundFiles: BoundFiles;
  overall: OverallResult;
  pciDss: PciDssFields;
  attestation: string;
}
