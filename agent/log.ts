import { pino, type Logger } from 'pino';
import { join } from 'node:path';

/**
 * DIR/audit.log: pino JSON lines of everything the agent did. pino's redact works on key paths
 * only, so secrets are kept at known paths and never interpolated into messages (STYLE.md).
 */
export const AUDIT_LOG = 'audit.log';

export const REDACT_PATHS = [
  'code',
  '*.code',
  'authority.code',
  '*.authority.code',
  'passphrase',
  '*.passphrase',
  'mac',
  '*.mac',
  'key',
  '*.key',
  'keyPem',
  '*.keyPem',
  'pan',
  '*.pan',
];

export interface AuditLog {
  log: Logger;
  /** Flushes and closes the file so its digest can be bound into the certificate. */
  close(): void;
}

export function openAuditLog(dir: string): AuditLog {
  const destination = pino.destination({
    dest: join(dir, AUDIT_LOG),
    sync: true,
    append: true,
    mkdir: true,
    mode: 0o600,
  });
  let closed = false;
  // Once closed the file is bound into the certificate by digest: a line logged after that (an
  // error while the certificate is written) goes nowhere rather than throw from a closed stream.
  const stream = { write: (line: string) => void (closed ? undefined : destination.write(line)) };
  const log = pino(
    {
      base: { tool: 'posdecom' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    stream,
  );
  return {
    log,
    close() {
      if (closed) return;
      closed = true;
      destination.flushSync();
      destination.end();
    },
  };
}

export function silentLog(): Logger {
  return pino({ level: 'silent' });
}
