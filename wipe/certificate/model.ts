/**
 * The wipe certificate's shape (schema version 2): what the workflow hands in
 * (CertificateInput) and the signed document that comes out (WipeCertificate). The blocks follow
 * NIST SP 800-88 rev.1 Appendix G (person, media, sanitization, destination, signature,
 * validation) plus the PCI DSS fields 9.5.1.1 (POI inventory) and 9.4.7 (media made
 * unrecoverable); see shared REFERENCES.md. Version 1 lives, frozen, in v1/.
 *
 * Results are never inferred: a step the tool did not measure is UNKNOWN, a step the technician
 * did by hand is ATTESTED, and neither can ever add up to PASS (the FOG lesson: "Wiping
 * complete" while nothing was erased).
 */

import type { StepName, StepRecord } from './steps.js';

export * from './steps.js';

export const SCHEMA_VERSION = 'posdecom-certificate/2' as const;

/**
 * PASS only when every mandatory step measured PASS (a WARN is a PASS with findings, listed);
 * INCOMPLETE when nothing failed but some step is UNKNOWN, ATTESTED or missing; FAIL otherwise.
 */
export const OVERALL_RESULTS = ['PASS', 'INCOMPLETE', 'FAIL'] as const;
export type OverallVerdict = (typeof OVERALL_RESULTS)[number];

/** How the terminal was reached; `sim` is the built-in simulated terminal. */
export const TRANSPORTS = ['serial', 'tcp', 'sim', 'zvt+tcp'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** NIST SP 800-88 method types, weakest last; `None` is a store that was not shown sanitized. */
export const METHOD_TYPES = ['Destroy', 'Purge', 'Clear', 'None'] as const;
export type MethodType = (typeof METHOD_TYPES)[number];

export interface DeviceStore {
  name: string;
  kind: string;
  /** The terminal says the store may hold cardholder data (PCI DSS 9.4.7 scope). */
  cardData: boolean;
  /** Appendix G "media type", from the terminal's STORES; 'UNKNOWN' when it did not say. */
  media: string;
}

export interface DeviceRecord {
  vendor: string;
  model: string;
  serial: string;
  firmware: string;
  /** Appendix G "media property number": the owner's asset tag. */
  assetTag: string | null;
  /** Where the terminal stood (PCI DSS 9.5.1.1 location). */
  location: string | null;
  /** Appendix G "source": whose device, or where it came from. */
  source: string | null;
  /** Appendix G "classification" of the data on it, when the owner classifies. */
  classification: string | null;
  /** null when the terminal did not report one (already unbound, or not read). */
  tidBefore: string | null;
  midBefore: string | null;
  tidAfter: string | null;
  midAfter: string | null;
  /** Acceptance channels the terminal has (HELLO caps.channels). */
  channels: string[];
  /** Stores the terminal has (STORES). */
  stores: DeviceStore[];
  /** The protocol the terminal spoke, as its driver names it. */
  protocol: string;
  transport: Transport;
  /** A `sim:` port or a terminal that identified as simulated: not a record of a device. */
  simulated: boolean;
}

export interface WorkOrderRecord {
  id: string;
  reason: string;
  owner: string;
  authorizationRef: string;
}

/** Appendix G "media destination". */
export interface Destination {
  /** The work order's destination. */
  kind: string;
  /** The NIST category: internal reuse, external reuse, recycling facility, manufacturer, other. */
  category: string;
  details: string | null;
}

export interface BackupRecord {
  made: boolean;
  /** Where the encrypted backup is kept; null when none was made. */
  location: string | null;
  /** sha256 (hex) of the backup's manifest.json; null when none was made. */
  manifestSha256: string | null;
}

/** Appendix G "data backed up": yes when every store's backup was verified. */
export type DataBackedUp = 'yes' | 'no' | 'unknown';

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
  phone?: string;
  /** Appendix G "location": where the sanitization was performed. */
  location?: string;
  /** RFC 4514-style subject of the signing certificate; the verifier checks it matches. */
  signerSubject: string;
}

/** A file the technician gave as evidence of an attestation (a photo), bound by digest. */
export interface EvidenceFile {
  /** The file's own name, as given (no directories). */
  name: string;
  /** Where the job keeps its copy, relative to the job directory. */
  path: string;
  size: number;
  sha256: string;
}

/** What the technician attested for a step they did by hand (`decommission --attest`). */
export interface AttestationInput {
  step: StepName;
  target?: string;
  statement: string;
  /** UTC ISO 8601. */
  time: string;
  evidence: EvidenceFile[];
}

export interface CertificateInput {
  tool: { name: string; version: string };
  technician: Technician;
  device: DeviceRecord;
  workOrder: WorkOrderRecord;
  destination: Destination;
  steps: StepRecord[];
  /** Applied by buildCertificate: each replaces an UNKNOWN (or missing) step, or is noted. */
  attestations?: AttestationInput[];
  backup: BackupRecord;
  boundFiles: BoundFiles;
  /** NIST "post-sanitization classification", when the owner uses classifications. */
  postSanitizationClassification?: string;
  /** Fixed values for reproducible tests; otherwise a random UUID and the current time. */
  certificateId?: string;
  issuedAt?: Date;
}

/** Appendix G "sanitization details" for one store, with why it is the type it is. */
export interface StoreSanitization {
  store: string;
  media: string;
  /** The terminal's erase method (SPEC s.6.11), or null when none was recorded. */
  method: string | null;
  passes: number | null;
  /** NIST vocabulary: 'overwrite', 'crypto erase', 'other', 'none'. */
  nistMethod: string;
  methodType: MethodType;
  reason: string;
  verification: 'full' | 'sampling' | null;
  readBack: boolean;
  result: StepRecord['result'];
}

export interface SanitizationSummary {
  /** The weakest of the stores' method types. */
  methodType: MethodType;
  /** NIST vocabulary, comma-joined when stores differ. */
  methodUsed: string;
  /** NIST: 'full', 'quick sampling', 'other', or 'none' when nothing was verified. */
  verificationMethod: string;
  stores: StoreSanitization[];
  postSanitizationClassification?: string;
  result: StepRecord['result'];
}

export interface OverallResult {
  result: OverallVerdict;
  /** Why the result is not PASS (empty when PASS). */
  reasons: string[];
  /** What an auditor should see even on a PASS: WARN findings, attestations beside a measurement. */
  findings: string[];
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

export interface WipeCertificate {
  schemaVersion: typeof SCHEMA_VERSION;
  certificateId: string;
  /** UTC ISO 8601. */
  issuedAt: string;
  tool: { name: string; version: string };
  performedBy: Technician;
  device: DeviceRecord;
  workOrder: WorkOrderRecord;
  destination: Destination;
  steps: StepRecord[];
  sanitization: SanitizationSummary;
  backup: BackupRecord & { dataBackedUp: DataBackedUp };
  boundFiles: BoundFiles;
  overall: OverallResult;
  pciDss: PciDssFields;
  /** The technician's statement (Appendix G "signature" block), signed in certificate.p7s. */
  attestation: string;
  /** Appendix G "validation": made later by a second person, in validation.json. */
  validation: string;
}
