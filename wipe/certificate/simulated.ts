import type { AnyWipeCertificate } from './schema.js';

/** The words every copy of a simulated terminal's certificate carries: PDF band, verify, summary. */
export const SIMULATED_BAND = 'SIMULATED TERMINAL - NOT A DEVICE RECORD';

/** Version 1 certificates did not record it: they are not known to be simulated. */
export function isSimulated(cert: AnyWipeCertificate | undefined): boolean {
  return cert !== undefined && 'simulated' in cert.device && cert.device.simulated;
}
