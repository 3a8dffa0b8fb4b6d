import { Writable } from 'node:stream';
import { ErrorCode, PosdecomError } from '../protocol/errors.js';
import { PASSPHRASE_ENV, ROLE_ENV } from '../wipe/pki/passphrase.js';
import { describeError } from '../agent/errors-text.js';
import { exitCodeFor } from '../agent/exit-codes.js';
import { checkAttestationSerials, readAttestations, type AttestationRequest } from '../agent/attest-file.js';
import { partBytesFrom, portSettingsFrom, sessionOptionsFrom, type PortArgs } from '../agent/options.js';
import { createReporter } from '../agent/reporter.js';
import { loadSignerFrom, resolveKeyPaths } from '../agent/signing-config.js';
import { credentialFor, parseWorkOrders, readWorkOrders } from '../agent/work-order.js';
import { resolveProtocol } from '../agent/protocol-choice.js';
import { runDecommission as runJob } from '../agent/workflow/runner.js';
import { unstartedSummary } from '../agent/workflow/summary.js';
import { failingAs } from './failure.js';
import type { WorkOrder } from './work-order.js';

/**
 * `posdecom decommission` for one terminal, from code: the same options as the CLI's flags
 * (README: posdecom decommission), camel-cased, and the same job (journal, backup, certificate
 * in `out`). Rejects with a PosdecomFailure when an input is unusable before the terminal is
 * touched (keys, work order, flags); otherwise resolves with the job's summary, whose
 * `exitCode` is the one the CLI would exit with.
 */
export interface DecommissionOptions {
  /** --port: a serial port, tcp://host:port, zvt+tcp://host[:port], or a sim: port (e.g. a simulator's `port`). */
  port: string;
  /**
   * --protocol: what the terminal speaks. Default: 'zvt' for zvt+tcp:// and sim:zvt ports, else
   * 'line'. A ZVT work order carries the terminal's password in its `zvt` block; the port
   * settings then default to ZVT's 9600 baud 8N2.
   */
  protocol?: 'line' | 'zvt';
  /** --work-order: a JSON file, or the work order(s) themselves (several: matched by serial). */
  workOrder: string | WorkOrder | WorkOrder[];
  /** --out: the job directory. */
  out: string;
  /** --backup-recipient, --sign-key, --sign-cert, --chain; or --config naming them. */
  backupRecipient?: string;
  signKey?: string;
  signCert?: string;
  chain?: string;
  config?: string;
  /** The signing key's passphrase. Default: POSDECOM_SIGN_PASSPHRASE, then POSDECOM_KEY_PASSPHRASE. Never prompted for. */
  passphrase?: string;
  /** --attest: attestation files (README: posdecom decommission, --attest), read before the terminal is touched. */
  attest?: string[];
  /** --backup-part-size: bytes per backup part, a multiple of 4096. */
  backupPartSize?: number;
  resume?: boolean;
  dryRun?: boolean;
  /** --allow-unsettled: go on when the batch cannot settle or the SAF queue cannot forward (never a PASS). */
  allowUnsettled?: boolean;
  /** --card-data-backup: 'keep' (default) backs up every store; 'omit' does not back up stores holding card data (they are still erased). */
  cardDataBackup?: 'keep' | 'omit';
  /** --record: a masked transcript of every frame. */
  record?: string;
  /** --reconnect-wait, in seconds (default 30). */
  reconnectWait?: number;
  baud?: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  flowControl?: 'none' | 'rtscts' | 'xonxoff';
  /** --timeout: milliseconds per answer before a resend (default 3000). */
  timeout?: number;
  /** Where the progress lines the CLI prints go; default nowhere. */
  output?: NodeJS.WritableStream;
  /** Asked with the plan before the first change; default: go ahead (the CLI's --yes). */
  confirm?: (plan: string) => boolean | Promise<boolean>;
}

export interface DecommissionResult {
  /** The CLI's exit code: 0 only when the certificate's overall result is PASS. */
  exitCode: number;
  /** The certificate's overall result, or INCOMPLETE when the job stopped before one. */
  overall: string;
  /** The terminal is a simulated one (a `sim:` port, or one that said so): a rehearsal, not a device. */
  simulated: boolean;
  dir: string;
  port: string;
  serial: string | null;
  model: string | null;
  workOrder: string | null;
  /** Why the job stopped early, in one line; null when it ran to the end. */
  stopReason: string | null;
  certificate: { id: string; json: string; signature: string; pdf: string } | null;
  steps: { step: string; target: string | null; result: string; note: string | null }[];
  durationMs: number;
}

const nowhere = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

export async function runDecommission(o: DecommissionOptions): Promise<DecommissionResult> {
  const prepared = await failingAs(async () => {
    const workOrders =
      typeof o.workOrder === 'string'
        ? readWorkOrders(o.workOrder)
        : parseWorkOrders(JSON.stringify(o.workOrder), 'the workOrder option');
    const paths = resolveKeyPaths(
      { backupRecipient: o.backupRecipient, signKey: o.signKey, signCert: o.signCert, chain: o.chain },
      o.config,
    );
    const passphrase = o.passphrase ?? process.env[ROLE_ENV.sign] ?? process.env[PASSPHRASE_ENV];
    if (passphrase === undefined || passphrase === '') {
      throw new PosdecomError(
        ErrorCode.UsageInvalid,
        `no passphrase: pass passphrase or set ${ROLE_ENV.sign} (or ${PASSPHRASE_ENV})`,
      );
    }
    const protocol = resolveProtocol(o.protocol, o.port);
    // ZVT's password is checked before the terminal is touched, as the CLI does.
    if (protocol === 'zvt') for (const w of workOrders) credentialFor(w, 'zvt');
    // Unset settings take the protocol's defaults (line 115200 8N1, ZVT 9600 8N2).
    const port: PortArgs = {
      ...(o.baud !== undefined ? { baud: o.baud } : {}),
      ...(o.dataBits !== undefined ? { 'data-bits': o.dataBits } : {}),
      ...(o.parity !== undefined ? { parity: o.parity } : {}),
      ...(o.stopBits !== undefined ? { 'stop-bits': o.stopBits } : {}),
      ...(o.flowControl !== undefined ? { 'flow-control': o.flowControl } : {}),
      timeout: o.timeout ?? 3000,
    };
    const attestations: AttestationRequest[] = [];
    for (const file of o.attest ?? []) attestations.push(...(await readAttestations(file)));
    checkAttestationSerials(
      attestations,
      workOrders.map((w) => w.terminal.serial),
      1,
    );
    return {
      workOrders,
      attestations,
      partBytes: partBytesFrom(o.backupPartSize),
      cardDataBackup: o.cardDataBackup === undefined ? undefined : cardDataBackupFrom(o.cardDataBackup),
      paths,
      signer: await loadSignerFrom(paths, passphrase),
      protocol,
      settings: portSettingsFrom(port, protocol),
      session: sessionOptionsFrom(port),
    };
  });
  const stream = o.output ?? nowhere();
  const reporter = createReporter({ stream: stream as NodeJS.WriteStream, tty: false, errorStream: stream });
  try {
    const { summary } = await runJob({
      port: o.port,
      protocol: prepared.protocol,
      settings: prepared.settings,
      dir: o.out,
      workOrders: prepared.workOrders,
      resume: o.resume ?? false,
      dryRun: o.dryRun ?? false,
      yes: o.confirm === undefined,
      allowUnsettled: o.allowUnsettled ?? false,
      ...(prepared.cardDataBackup ? { cardDataBackup: prepared.cardDataBackup } : {}),
      recipientPath: prepared.paths.backupRecipient,
      signer: prepared.signer,
      ...(prepared.partBytes ? { partBytes: prepared.partBytes } : {}),
      attestations: prepared.attestations,
      ...(o.record !== undefined ? { record: o.record } : {}),
      session: prepared.session,
      reconnectWaitMs: Math.max(0, o.reconnectWait ?? 30) * 1000,
      reporter,
      confirm: async (plan) => (o.confirm ? o.confirm(plan) : true),
    });
    return { ...summary };
  } catch (err) {
    // As the CLI: a job that could not start is a summary with its exit code, not a throw.
    return { ...unstartedSummary(o.port, o.out, exitCodeFor(err), describeError(err)) };
  }
}

/** The CLI's yargs `choices` check, for callers without a type checker. */
function cardDataBackupFrom(value: string): 'keep' | 'omit' {
  if (value === 'keep' || value === 'omit') return value;
  throw new PosdecomError(
    ErrorCode.UsageInvalid,
    `cardDataBackup must be 'keep' or 'omit', not ${JSON.stringify(value)}`,
  );
}
