import { Coverage } from '../../simulator/coverage.js';
import { derive, Prng } from '../../simulator/prng.js';
import { dropKey, type ZvtFaultSpec } from './faults.js';
import { FILE_IDS } from '../codec/commands.js';
import { FileContent, fileCatalogue } from './files.js';
import type { ResolvedZvtOptions } from './options.js';
import { loadOrCreateState, saveState, type ZvtState } from './state.js';

/**
 * The simulated terminal itself, what outlives a cable: identity from the seed, the persisted
 * state, the files, and the bookkeeping of faults. At most one connection talks to it at a time.
 */
export interface ZvtIdentity {
  /** The 4-byte serial (TLV 1F42) as 8 upper-case hex digits, as real terminals print it. */
  serial: string;
  serialBytes: Buffer;
  deviceName: string;
  swVersion: string;
}

/** The grow=N fault has fired (state file). */
const GROWN = 'grow';

export class ZvtDevice {
  readonly state: ZvtState;
  readonly identity: ZvtIdentity;
  readonly files: ReadonlyMap<number, FileContent>;
  /** Seeded stream for the random faults (bad CRC): same seed, same run. */
  readonly faultPrng: Prng;
  /** Commands received, by name, whether run or refused. */
  readonly requests: Record<string, number> = {};
  /** APDUs the ECR sent at the wrong time (a command while a sequence was running, a reply to nothing). */
  protocolErrors = 0;
  /**
   * Ground truth for tests: what each file's Read File blocks carried, by file-id. `bytes` counts
   * every byte sent (a byte sent twice counts twice), `distinct` which bytes were ever sent.
   */
  readonly served = new Map<number, { bytes: number; distinct: Coverage }>();
  waitRemaining: number;
  nakRemaining: number;

  constructor(readonly options: ResolvedZvtOptions) {
    this.state = loadOrCreateState(options);
    const serialBytes = derive(options.seed, 'zvt-serial').subarray(0, 4);
    this.identity = {
      serial: serialBytes.toString('hex').toUpperCase(),
      serialBytes: Buffer.from(serialBytes),
      deviceName: 'posdecom SIM-ZVT',
      swVersion: 'SIM-ZVT 1.0.0;posdecom',
    };
    this.files = new Map(
      fileCatalogue(options.seed, options.files, options.fileScale).map((f) => [
        f.id,
        new FileContent(options.seed, f, options.noncompliant),
      ]),
    );
    if (this.state.faultsFired.includes(GROWN))
      this.files.get(FILE_IDS.eventLog)?.grow(options.faults.grow ?? 0);
    this.faultPrng = Prng.from(options.seed, 'zvt-faults');
    this.waitRemaining = options.faults.wait ?? 0;
    this.nakRemaining = options.faults.nak ?? 0;
    this.persist();
  }

  persist(): void {
    saveState(this.options.statePath, this.state);
  }

  /** A file that exists and has not been deleted. */
  file(id: number): FileContent | undefined {
    return this.state.deletedFiles.includes(id) ? undefined : this.files.get(id);
  }

  /** A Read File block of [offset, offset+length) went out. */
  noteServed(id: number, offset: number, length: number): void {
    let s = this.served.get(id);
    if (!s) {
      s = { bytes: 0, distinct: new Coverage() };
      this.served.set(id, s);
    }
    s.bytes += length;
    s.distinct.add(offset, length);
  }

  /** A Read File of `id` ran to its end: the grow=N fault appends to the event log, once. */
  fileReadWhole(id: number): void {
    const grow = this.options.faults.grow;
    if (!grow || id !== FILE_IDS.eventLog || this.state.faultsFired.includes(GROWN)) return;
    this.files.get(id)?.grow(grow);
    this.state.faultsFired.push(GROWN);
    this.persist();
  }

  /** Other faults from now on (a test changing the terminal while it runs). */
  setFaults(faults: ZvtFaultSpec): void {
    this.options.faults = faults;
    this.waitRemaining = faults.wait ?? 0;
    this.nakRemaining = faults.nak ?? 0;
  }

  deleteFile(id: number): void {
    if (!this.state.deletedFiles.includes(id)) this.state.deletedFiles.push(id);
    this.persist();
  }

  passwordMatches(digits: string): boolean {
    return digits === this.state.password;
  }

  /** True once, when a drop=CMD:N[:K] fault is due after the terminal's Nth APDU in a CMD sequence. */
  dropDue(command: string, sent: number): boolean {
    let due = false;
    for (const d of this.options.faults.drop ?? []) {
      const key = dropKey(d);
      if (d.command !== command || d.after !== sent || this.state.faultsFired.includes(key)) continue;
      // Sequences that got this far before the Kth are counted in the state file too.
      const reached = `${key} reached`;
      const before = this.state.faultsFired.filter((f) => f === reached).length;
      this.state.faultsFired.push(before + 1 >= (d.nth ?? 1) ? key : reached);
      this.persist();
      if (before + 1 >= (d.nth ?? 1)) due = true;
    }
    return due;
  }

  count(name: string): void {
    this.requests[name] = (this.requests[name] ?? 0) + 1;
  }
}
