import { plainBmp } from '../codec/bmp.js';
import {
  abort,
  completion,
  intermediateStatus,
  STATUS_ENQUIRY_TLV,
  statusEnquiryCompletion,
} from '../codec/commands.js';
import { digitsToBcd, nibbles, numberToBcd } from '../codec/encoding.js';
import { findBmp } from '../codec/bmp.js';
import { prefixField } from '../codec/message.js';
import { RESULT } from '../codec/result-codes.js';
import { tlv } from '../codec/tlv.js';
import { bmpNumber } from '../codec/values.js';
import { passwordAccepted, type HandlerContext } from './handler.js';
import { configurationReceipt, sendReceipt, stamp } from './receipts.js';

/**
 * Registration, Status Enquiry, Set/Reset Terminal-ID, Print System Configuration, Diagnosis,
 * Reset Terminal and Log-Off, as the simulated terminal answers them (README.md "Sequences").
 */
export async function registration({ device, conv, m }: HandlerContext): Promise<void> {
  if (!(await passwordAccepted({ device, conv, m }))) return;
  const currency = prefixField(m, 'currency');
  if (currency && nibbles(currency) !== String(device.options.currency).padStart(4, '0')) {
    await conv.refuse(RESULT.wrongCurrency);
    return;
  }
  await conv.acknowledge();
  device.state.configByte = prefixField(m, 'configByte')?.[0] ?? 0;
  device.persist();
  const bmps = [plainBmp(0x19, Buffer.from([0x00]))];
  if (device.state.tid) bmps.push(plainBmp(0x29, digitsToBcd(device.state.tid)));
  bmps.push(plainBmp(0x49, numberToBcd(device.options.currency, 2)));
  await conv.exchange(completion(bmps));
}

export async function statusEnquiry({ device, conv, m }: HandlerContext): Promise<void> {
  if (!(await passwordAccepted({ device, conv, m }, true))) return;
  await conv.acknowledge();
  const service = bmpNumber(m, 0x03) ?? 0;
  const now = device.options.now().toISOString();
  const nodes =
    service & STATUS_ENQUIRY_TLV
      ? [
          ...(device.state.tid ? [tlv(0x1f44, digitsToBcd(device.state.tid))] : []),
          tlv(0xe4, [
            tlv(0x1f40, Buffer.from(device.identity.deviceName, 'latin1')),
            tlv(0x1f41, Buffer.from(device.identity.swVersion, 'latin1')),
            tlv(0x1f42, device.identity.serialBytes),
            tlv(0x1f43, Buffer.from([0x00])),
          ]),
          tlv(0x34, [
            tlv(0x1f0e, Buffer.from(now.slice(0, 10).replace(/-/g, ''), 'hex')),
            tlv(0x1f0f, Buffer.from(now.slice(11, 19).replace(/:/g, ''), 'hex')),
          ]),
        ]
      : undefined;
  await conv.exchange(statusEnquiryCompletion(device.identity.swVersion, 0x00, nodes));
}

/** Set (BMP 29 given) or reset (no BMP 29) the terminal-ID: refused while the batch holds turnover. */
export async function setTerminalId({ device, conv, m }: HandlerContext): Promise<void> {
  if (!(await passwordAccepted({ device, conv, m }))) return;
  await conv.acknowledge();
  if (device.state.batch.length > 0) {
    await conv.exchange(abort(RESULT.openBatch));
    return;
  }
  const tid = findBmp(m.bmps, 0x29);
  device.state.tid = tid?.kind === 'plain' && /^\d{8}$/.test(nibbles(tid.bytes)) ? nibbles(tid.bytes) : null;
  device.persist();
  const bmps = device.state.tid ? [plainBmp(0x29, digitsToBcd(device.state.tid))] : [];
  await conv.exchange(completion(bmps));
}

export async function printConfiguration({ device, conv }: HandlerContext): Promise<void> {
  await conv.acknowledge();
  await sendReceipt(conv, device, configurationReceipt(device));
  await conv.exchange(completion());
}

export async function diagnosis({ device, conv }: HandlerContext): Promise<void> {
  await conv.acknowledge();
  await conv.exchange(intermediateStatus(0x17, device.options.intermediateTimeoutMinutes));
  if (device.options.faults.hostDown) {
    await conv.exchange(abort(RESULT.noConnection));
    return;
  }
  await sendReceipt(conv, device, ['** Diagnosis **', stamp(device.options.now()), 'Host connection OK']);
  await conv.exchange(completion());
}

export async function resetTerminal({ conv }: HandlerContext): Promise<void> {
  await conv.acknowledge();
  await conv.exchange(completion());
}

/** Log-Off ends at the terminal's 80 00; the ECR is no longer registered from that moment. */
export async function logOff({ device, conv }: HandlerContext): Promise<void> {
  device.state.configByte = null;
  device.persist();
  await conv.acknowledge();
}
