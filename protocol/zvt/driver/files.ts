import type { StoreInfo } from '../../domain.js';
import { ErrorCode, PosdecomError, isPosdecomError } from '../../errors.js';
import { hex2 } from '../codec/encoding.js';
import { RESULT } from '../codec/result-codes.js';
import type { ZvtClient } from '../ecr/client.js';
import { NO_FILE_ACCESS_STORE, ZVT_FILES, fileByName, type ZvtFile } from './mapping.js';

/**
 * The terminal's files as stores. ZVT has no directory and reports no digest, so a file is
 * listed by starting its Read File and stopping after the first block, whose TLV 1F00 announces
 * the size. Where the size is known (listed before, by this driver or by the job), the Read File
 * starts there (TLV 1E): a file of that size answers with a block of no data, one that grew
 * with its new bytes only, so listing an unchanged file serves none of its content again. A
 * terminal that aborts that read (the file shrank, or it takes no such offset) is asked from the
 * start. Abort 83 ("function not possible") from the start means the terminal does not offer that
 * file; `84 83` to Read File means it gives no file access at all.
 *
 *   08 11 {2D{1D id [1E known]}} -> 80 00, block {1D,1E,1F00 size,1C ...} <- 84 6C (stop) -> 06 1E 6C
 */
export class ZvtFiles {
  /** The size each file announced when last listed: a later read that announces another stops. */
  private readonly sizes = new Map<number, number>();

  constructor(private readonly client: ZvtClient) {}

  async list(names?: readonly string[], known?: readonly StoreInfo[]): Promise<StoreInfo[]> {
    const wanted = ZVT_FILES.filter((f) => !names || names.includes(f.name));
    const stores: StoreInfo[] = [];
    for (const file of wanted) {
      let size: number | undefined;
      const hint = this.sizes.get(file.id) ?? known?.find((s) => s.name === file.name && !s.erased)?.size;
      try {
        if (hint !== undefined && hint > 0) size = await this.probe(file, hint);
        size ??= await this.probe(file, 0);
      } catch (err) {
        if (!isPosdecomError(err) || err.code !== ErrorCode.TerminalUnsupported) throw err;
        return [noFileAccess()];
      }
      if (size === undefined) {
        this.sizes.delete(file.id);
        continue;
      }
      this.sizes.set(file.id, size);
      stores.push(storeOf(file, size));
    }
    return stores;
  }

  /**
   * The announced size, or undefined when the terminal aborts: from 0 with 83, the file is not
   * offered; from a known size with any code, the caller asks from 0.
   */
  private async probe(file: ZvtFile, from: number): Promise<number | undefined> {
    let size: number | undefined;
    const r = await this.client.readFile(file.id, {
      ...(from > 0 ? { offset: from } : {}),
      probe: true,
      onBlock: (b) => {
        size = b.size;
        return 'stop';
      },
    });
    if (r.kind === 'aborted') {
      if (from > 0 || r.resultCode === RESULT.functionNotPossible) return undefined;
      throw new PosdecomError(
        ErrorCode.TerminalRefused,
        `ZVT Read File of ${file.name}: aborted (result code ${hex2(r.resultCode)}: ${r.resultText})`,
      );
    }
    return r.kind === 'complete' ? r.size : (size ?? r.size);
  }

  /**
   * Reads [from, end) of a file into sink, in order, from `from` (TLV 1E). The sink may be slow
   * (encryption, disk): its calls are chained in order and awaited before this returns, and a
   * sink that fails stops the transfer (84 6C) after the block in hand.
   */
  async read(
    store: string,
    from: number,
    end: number,
    sink: (offset: number, bytes: Buffer) => Promise<void>,
  ): Promise<number> {
    const file = this.file(store);
    const listed = this.sizes.get(file.id);
    let chain = Promise.resolve();
    let failed: unknown;
    let reached = from;
    const reading = this.client.readFile(file.id, {
      offset: from,
      onBlock: (b) => {
        if (listed !== undefined && b.size !== listed) {
          throw new PosdecomError(
            ErrorCode.SessionHostile,
            `ZVT Read File of ${store} announces ${b.size} bytes, but it was listed with ${listed}; stopping`,
          );
        }
        const data = b.data.subarray(0, Math.max(0, end - b.offset));
        if (data.length > 0) {
          chain = chain.then(() => sink(b.offset, data));
          chain.catch((err: unknown) => (failed ??= err));
        }
        reached = b.offset + data.length;
        return failed !== undefined || (reached >= end && reached < b.size) ? 'stop' : undefined;
      },
    });
    // Blocks that came before a failure still reach the sink (a resumed run need not ask for
    // them again: wipe/backup/received-ahead.ts) before the failure is passed on.
    const r = await reading.catch(async (err: unknown) => {
      await chain.catch(() => undefined);
      throw err;
    });
    await chain;
    if (r.kind === 'aborted') {
      throw new PosdecomError(
        ErrorCode.BackupFailed,
        `ZVT Read File of ${store} aborted at byte ${reached} (result code ${hex2(r.resultCode)}: ${r.resultText})`,
      );
    }
    return reached;
  }

  async delete(store: string): Promise<void> {
    const file = this.file(store);
    const r = await this.client.deleteFile(file.id);
    if (!r.ok) {
      throw new PosdecomError(
        ErrorCode.TerminalRefused,
        `ZVT Delete File of ${store} aborted (result code ${hex2(r.resultCode)}: ${r.resultText})`,
      );
    }
  }

  private file(store: string): ZvtFile {
    const file = fileByName(store);
    if (!file) {
      const why = store === NO_FILE_ACCESS_STORE ? 'the terminal gives no file access' : 'no such file';
      throw new PosdecomError(ErrorCode.TerminalUnsupported, `ZVT: cannot read ${store}: ${why}`);
    }
    return file;
  }
}

function storeOf(file: ZvtFile, size: number): StoreInfo {
  return {
    name: file.name,
    kind: file.kind,
    size,
    // ZVT reports neither record counts nor digests: 0 and '' say "not reported".
    records: 0,
    sha256: '',
    cardData: file.cardData,
    erased: false,
  };
}

function noFileAccess(): StoreInfo {
  return {
    name: NO_FILE_ACCESS_STORE,
    kind: 'journal',
    size: 0,
    records: 0,
    sha256: '',
    cardData: true,
    erased: false,
    readable: false,
  };
}
