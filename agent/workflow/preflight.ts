import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { CHANNELS, type Identity, type Status, type StoreInfo } from '../../protocol/domain.js';
import type { JournalEntry } from '../journal.js';
import type { WorkOrder } from '../work-order.js';
import type { Connection } from './connection.js';
import type { Inventory, JobContext } from './context.js';
import type { JobFacts } from './machine.js';

/**
 * Is this the terminal the work order names? A mismatch stops before anything is changed.
 * On resume it must also be the terminal the journal was started on.
 */
export function checkIdentity(
  identity: Identity,
  orders: WorkOrder[],
  previous: JournalEntry[],
  resume: boolean,
): WorkOrder {
  const order = orders.length === 1 ? orders[0]! : orders.find((w) => w.terminal.serial === identity.serial);
  if (!order || order.terminal.serial !== identity.serial) {
    const wanted = orders.map((w) => w.terminal.serial).join(', ');
    throw new PosdecomError(
      ErrorCode.WorkflowSerialMismatch,
      `serial number mismatch: the terminal is ${identity.serial}, the work order names ${wanted}; nothing was changed`,
    );
  }
  const t = order.terminal;
  if (t.model && t.model !== identity.model) {
    throw new PosdecomError(
      ErrorCode.WorkflowSerialMismatch,
      `model mismatch: the terminal is ${identity.model}, the work order names ${t.model}; nothing was changed`,
    );
  }
  if (!resume) {
    if (t.tid && identity.tid !== t.tid) {
      throw new PosdecomError(
        ErrorCode.WorkflowSerialMismatch,
        `TID mismatch: the terminal reports ${identity.tid ?? 'none'}, the work order names ${t.tid}; nothing was changed`,
      );
    }
    if (t.mid && identity.mid !== t.mid) {
      throw new PosdecomError(
        ErrorCode.WorkflowSerialMismatch,
        `MID mismatch: the terminal reports ${identity.mid ?? 'none'}, the work order names ${t.mid}; nothing was changed`,
      );
    }
  }
  const job = previous.find((e) => e.type === 'job');
  if (resume && job && job.data?.serial !== identity.serial) {
    throw new PosdecomError(
      ErrorCode.WorkflowSerialMismatch,
      `this job was started on terminal ${String(job.data?.serial)}, but ${identity.serial} is connected`,
    );
  }
  return order;
}

/** `known`: the stores as an earlier run of the job last read them (a resumed job). */
export async function takeInventory(conn: Connection, known?: readonly StoreInfo[]): Promise<Inventory> {
  const d = conn.driver();
  const identity = await conn.withLink('identify', (x) => x.identify());
  conn.checkSameTerminal(identity, 'at inventory');
  const status = await conn.withLink('status', (x) => x.status());
  const disagreement = identityStatusDisagreement(identity, status);
  if (disagreement) {
    throw new PosdecomError(
      ErrorCode.SessionHostile,
      `the terminal contradicts itself: ${disagreement}; stopping`,
    );
  }
  const stores = d.capabilities.readStores
    ? await conn.withLink('stores', (x) => x.listStores(undefined, known))
    : [];
  const keys = d.capabilities.keyInventory ? await conn.withLink('keys', (x) => x.keys()) : [];
  return {
    identity,
    status,
    stores,
    keys,
    // A protocol that can neither switch nor read acceptance cannot say which kinds the terminal
    // has: every kind is listed, so each is recorded (UNKNOWN) rather than silently left out.
    channels:
      d.capabilities.measures['disable-acceptance'] === null ? [...CHANNELS] : [...d.capabilities.channels],
    links: [...d.capabilities.links],
    eraseMethods: [...d.capabilities.erase],
    protocol: d.protocol,
  };
}

/** IDENTIFY and STATUS describe one terminal; a terminal that answers both ways is not believed. */
function identityStatusDisagreement(identity: Identity, status: Status): string | undefined {
  const unbound = identity.tid === null && identity.mid === null;
  if (unbound && status.bound) return 'IDENTIFY reports no TID or MID, but STATUS says bound';
  if (!unbound && !status.bound)
    return `IDENTIFY reports TID ${identity.tid ?? 'none'}, but STATUS says unbound`;
  if (identity.state !== status.state)
    return `IDENTIFY says ${identity.state}, but STATUS says ${status.state}`;
  return undefined;
}

/**
 * A resumed job re-reads the terminal and re-checks what the journal says was done. Switches
 * found on again are switched off again; an erased store that is no longer erased is erased again
 * (its verified backup is still on disk). Nothing is taken on the journal's word alone.
 */
export async function reverify(ctx: JobContext, f: JobFacts, inv: Inventory): Promise<void> {
  const { reporter: r, journal } = ctx;
  // Read plainly: a switch found on again is switched off again below, not taken for a lie.
  const status = await ctx.withLink('status', (d) => d.status());
  const { stores } = await ctx.storeList.reread('when the job resumed', { resumed: true });
  const notes: string[] = [];
  if (f.acceptance === 'done' && Object.values(status.channels).some((s) => s !== 'off')) {
    f.acceptance = 'pending';
    notes.push('acceptance is on again');
  }
  if (f.saf === 'forwarded' && status.saf && status.saf.count > 0) {
    f.saf = 'pending';
    notes.push('payments wait in the SAF queue again');
  }
  if (f.network === 'done' && Object.values(status.links).some((s) => s !== 'down')) {
    f.network = 'pending';
    notes.push('a network link is up again');
  }
  for (const s of f.stores) {
    const now = stores.find((x) => x.name === s.name);
    if (s.erase === 'verified' && now && !now.erased) {
      s.erase = 'pending';
      notes.push(`${s.name} is no longer erased`);
    }
    const before = inv.stores.find((x) => x.name === s.name);
    // Erased with no backup is allowed only where --card-data-backup omit recorded it so.
    if (s.backup !== 'verified' && s.backup !== 'omitted' && before && now && now.erased) {
      throw new PosdecomError(
        ErrorCode.WorkflowAnomaly,
        `${s.name} was erased on the terminal but the journal has no verified backup of it`,
      );
    }
  }
  for (const n of notes) r.warn(`re-verification: ${n}; redoing that step`);
  journal.append('note', { data: { event: 'reverified', findings: notes } });
}
