/**
 * The work order as the library takes it: the same fields as the JSON file of `--work-order`
 * (README: The work order), checked by the same rules. Declared here, not re-exported from
 * agent/, so the published declarations import nothing internal; test/library-types.test.ts
 * keeps the two identical at compile time.
 */
export interface WorkOrder {
  id: string;
  terminal: {
    serial: string;
    model?: string;
    tid?: string;
    mid?: string;
    /** NIST SP 800-88 Appendix G "media property number". */
    assetTag?: string;
    /** Appendix G "source": whose device, where it came from (default: the owner's merchant name). */
    source?: string;
    /** Appendix G "classification" of the data on the device. */
    classification?: string;
  };
  reason: 'business-change' | 'device-fault-or-replacement' | 'end-of-lease' | 'compliance';
  owner: { merchant: string; location: string };
  technician: { name: string; organisation: string; contact: string; title?: string; phone?: string };
  /** Where the sanitization takes place (Appendix G person's "location"). */
  sanitizationLocation?: string;
  destination: 'return-to-provider' | 'internal-reuse' | 'recycling' | 'destruction';
  /** Appendix G destination details: who receives the device, where. */
  destinationDetails?: string;
  /** Where the encrypted backup will be kept once the job is done. */
  backupLocation?: string;
  postSanitizationClassification?: string;
  /**
   * `code` in clear, or better `codeEnv`: the name of an environment variable holding it. A ZVT
   * work order needs neither: it authorizes with the terminal's password (`zvt`).
   */
  authority: { reference: string; code?: string; codeEnv?: string };
  /** ZVT (protocol 'zvt'): the terminal's 6-digit password, or better `passwordEnv` naming a variable. */
  zvt?: { password?: string; passwordEnv?: string };
}
