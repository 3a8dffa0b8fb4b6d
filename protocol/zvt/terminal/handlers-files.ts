import { plainBmp } from '../codec/bmp.js';
import { abort, completion, fileBlock } from '../codec/commands.js';
import { RESULT } from '../codec/result-codes.js';
import { childrenOf, findFirst, rawValue, type TlvNode } from '../codec/tlv.js';
import { tlvOf } from '../codec/values.js';
import type { EcrReply } from './conversation.js';
import type { HandlerContext } from './handler.js';

/**
 * Read File (08 11) and Delete File (08 12).
 *
 *   08 11 06{2D{1D id [1E offset]}}  ->  80 00 00, then 04 0F 27 00 06{2D{1D,1E,1F00,1C}} per block,
 *        each answered 80 00 00 by the ECR (84 xx: stop, the terminal aborts with 6C), then
 *        06 0F 27 00. An unknown or deleted file: Abort 83.
 *   08 12 06{1D id}                  ->  80 00 00, 06 0F 27 00; the file is deleted only when the
 *        ECR's 80 00 00 to that completion arrives.
 * A terminal without file access answers both with 84 83 00.
 */
const OK = [plainBmp(0x27, Buffer.from([0x00]))];
/** 84 9C from the ECR to a block: it is busy; the block is sent again, this many times at most. */
const ECR_WAITS = 5;

function fileRequest(nodes: TlvNode[]): { id: number; offset: number } | undefined {
  const container = findFirst(nodes, 0x2d);
  const level = container ? childrenOf(container) : nodes;
  const idNode = findFirst(level, 0x1d);
  const id = idNode ? rawValue(idNode) : undefined;
  if (!id || id.length !== 1) return undefined;
  const off = findFirst(level, 0x1e);
  const offBytes = off ? rawValue(off) : undefined;
  if (offBytes && (offBytes.length < 1 || offBytes.length > 6)) return undefined;
  return { id: id[0] ?? 0, offset: offBytes ? offBytes.readUIntBE(0, offBytes.length) : 0 };
}

export async function readFile({ device, conv, m }: HandlerContext): Promise<void> {
  if (device.options.faults.noFileAccess) return conv.refuse(RESULT.functionNotPossible);
  const req = fileRequest(tlvOf(m));
  if (!req) return conv.refuse(RESULT.functionNotPossible);
  await conv.acknowledge();
  const file = device.file(req.id);
  if (!file || req.offset > file.spec.size) {
    await conv.exchange(abort(RESULT.functionNotPossible));
    return;
  }
  const size = file.spec.size;
  const block = device.options.fileBlockSize;
  let offset = req.offset;
  do {
    const length = Math.min(block, size - offset);
    const apdu = fileBlock(req.id, offset, size, file.read(offset, length));
    // Counted as it goes out, each time it does (a block sent again after 84 9C counts again).
    const send = () => {
      device.noteServed(req.id, offset, length);
      return conv.exchange(apdu);
    };
    let reply: EcrReply = await send();
    for (let waits = 0; reply !== 'ack' && reply.nack === RESULT.pleaseWait && waits < ECR_WAITS; waits++) {
      reply = await send();
    }
    if (reply !== 'ack') {
      await conv.exchange(abort(RESULT.stoppedByEcr));
      return;
    }
    offset += length;
  } while (offset < size);
  await conv.exchange(completion(OK));
  device.fileReadWhole(req.id);
}

export async function deleteFile({ device, conv, m }: HandlerContext): Promise<void> {
  if (device.options.faults.noFileAccess) return conv.refuse(RESULT.functionNotPossible);
  const req = fileRequest(tlvOf(m));
  if (!req) return conv.refuse(RESULT.functionNotPossible);
  await conv.acknowledge();
  if (!device.file(req.id)) {
    await conv.exchange(abort(RESULT.functionNotPossible));
    return;
  }
  const reply = await conv.exchange(completion(OK));
  if (reply === 'ack') device.deleteFile(req.id);
}
