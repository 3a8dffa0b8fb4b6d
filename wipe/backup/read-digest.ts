import { createHash } from 'node:crypto';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import type { StoreInfo } from '../../protocol/domain.js';
import type { StoreReader } from './store-backup.js';

/**
 * The SHA-256 of a store measured by reading it whole, hashing only (nothing is kept), for a
 * terminal that reports no digest (ZVT). The backup that follows is a second read, and must hash
 * the same: two reads that agree are the only independent measurement such a terminal allows.
 * Bytes must arrive in order and the read must end exactly at the listed size.
 */
export async function readDigest(
  read: StoreReader,
  info: StoreInfo,
  onProgress?: (received: number, size: number) => void,
): Promise<string> {
  const hash = createHash('sha256');
  let received = 0;
  const reached = await read(info.name, 0, info.size, async (offset, bytes) => {
    if (offset !== received) {
      throw new PosdecomError(
        ErrorCode.BackupFailed,
        `first read of ${info.name}: bytes arrived out of order`,
      );
    }
    hash.update(bytes);
    received += bytes.length;
    onProgress?.(received, info.size);
  });
  if (reached !== info.size || received !== info.size) {
    throw new PosdecomError(
      ErrorCode.BackupFailed,
      `first read of ${info.name} ended at ${received} of ${info.size} bytes`,
    );
  }
  return hash.digest('hex');
}
