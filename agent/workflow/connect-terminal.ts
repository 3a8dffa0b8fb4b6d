import { join } from 'node:path';
import type { AuthorizeResult, TerminalDriver } from '../../protocol/driver.js';
import type { Identity } from '../../protocol/domain.js';
import { isPosdecomError } from '../../protocol/errors.js';
import { Journal } from '../journal.js';
import { credentialFor, type WorkOrder } from '../work-order.js';
import type { JobRun } from './job-run.js';
import { checkIdentity } from './preflight.js';

/** The terminal the job works on: who it is, the work order that names it, and its driver. */
export interface ConnectedTerminal {
  driver: TerminalDriver;
  identity: Identity;
  workOrder: WorkOrder;
  /** When authorization began: the job's first journal entries are dated from it. */
  authStarted: Date;
  /** What authorization showed (method, and for ZVT the Registration it made), for the journal. */
  auth?: AuthorizeResult;
  /** What else the terminal said about itself once authorized (ZVT: its configuration receipt). */
  identityEvidence?: Record<string, unknown>;
}

/**
 * Connects, identifies the terminal against the work orders (and a resumed job's journal), and
 * authorizes unless this is a dry run. From here on a reconnect must find the same terminal.
 */
export async function connectAndAuthorize(run: JobRun): Promise<ConnectedTerminal> {
  const { options: o, conn, transcript } = run;
  const r = o.reporter;
  r.step(`connecting to ${o.port}`);
  const driver = await conn.open();
  transcript?.setStep('identify');
  const identity = await driver.identify();
  transcript?.noteIdentity({ ...identity });
  const previous = o.resume ? Journal.read(join(o.dir, 'journal.jsonl')) : [];
  const workOrder = checkIdentity(identity, o.workOrders, previous, o.resume);
  run.workOrder = workOrder;
  r.info(
    `terminal ${identity.vendor} ${identity.model}, serial ${identity.serial}, firmware ${identity.firmware}`,
  );
  run.audit.log.info({ identity, workOrder: workOrder.id }, 'identified');
  const protocol = o.protocol ?? 'line';
  const code = credentialFor(workOrder, protocol);
  const authStarted = new Date();
  // ZVT reads nothing before the ECR registers, so a dry run registers too (it changes nothing stored).
  const authorizing = !o.dryRun || driver.capabilities.authorizeToRead;
  let auth: AuthorizeResult | undefined;
  let identityEvidence: Record<string, unknown> | undefined;
  if (authorizing) {
    transcript?.setStep('authorize');
    const reference = workOrder.authority.reference;
    const method =
      protocol === 'zvt' ? 'ZVT Registration (06 00) with the password' : 'HMAC-SHA256 challenge-response';
    try {
      auth = await driver.authorize(identity.serial, code);
    } catch (err) {
      // The reference and the outcome, never the code or password (nor the MAC made from it).
      const refusal = isPosdecomError(err) ? String(err.context.code ?? err.code) : 'error';
      run.audit.log.warn({ authorityReference: reference, result: 'refused', refusal }, 'authorization');
      throw err;
    }
    run.audit.log.info({ authorityReference: reference, result: 'authorized', method }, 'authorization');
    r.info(
      protocol === 'zvt'
        ? 'registered: the terminal accepted its password; its menus are locked to the ECR'
        : `authorized (authority ${reference})`,
    );
    transcript?.setStep('identify');
    identityEvidence = await driver.identityEvidence?.();
  }
  conn.pin(identity, authorizing ? code : undefined);
  return {
    driver,
    identity,
    workOrder,
    authStarted,
    ...(auth ? { auth } : {}),
    ...(identityEvidence ? { identityEvidence } : {}),
  };
}
