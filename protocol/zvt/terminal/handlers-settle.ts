import { plainBmp } from '../codec/bmp.js';
import { abort, completion, intermediateStatus, statusInformation } from '../codec/commands.js';
import { numberToBcd } from '../codec/encoding.js';
import { RESULT } from '../codec/result-codes.js';
import { passwordAccepted, type HandlerContext } from './handler.js';
import { sendReceipt, totalsBmps, totalsReceipt } from './receipts.js';

/**
 * End-of-Day (06 50) and Send Turnover Totals (06 10).
 *
 *   EoD:  80 00 00, 04 FF x n, [Abort A3 host down | B8 + BMP 87 pre-authorisation | 77 unsettled]
 *         or 04 0F totals, receipt, batch emptied, 06 0F
 *   06 10: 80 00 00, 04 0F totals, receipt, 06 0F (the batch stays)
 */
export async function endOfDay({ device, conv, m }: HandlerContext): Promise<void> {
  if (!(await passwordAccepted({ device, conv, m }))) return;
  await conv.acknowledge();
  for (let i = 0; i < device.options.intermediateStatuses; i++) {
    await conv.exchange(intermediateStatus(0x17, device.options.intermediateTimeoutMinutes));
  }
  const faults = device.options.faults;
  if (faults.hostDown) {
    await conv.exchange(abort(RESULT.noConnection));
    return;
  }
  if (device.state.preauth) {
    // As a real terminal does (EVerest's captures): the open pre-authorisation's receipt in BMP 87.
    await conv.exchange(
      abort(RESULT.preAuthorisation, [plainBmp(0x87, numberToBcd(device.state.preauth.receipt, 2))]),
    );
    return;
  }
  if (faults.unsettled) {
    await conv.exchange(abort(RESULT.batchNotPossible));
    return;
  }
  const batch = [...device.state.batch];
  await conv.exchange(statusInformation(totalsBmps(device, batch)));
  // The host has the turnover once the ECR has taken the totals: the batch is settled.
  device.state.batch = [];
  device.state.nextTrace++;
  device.persist();
  await sendReceipt(conv, device, totalsReceipt('End-of-Day', device, batch));
  await conv.exchange(completion());
}

export async function turnoverTotals({ device, conv, m }: HandlerContext): Promise<void> {
  if (!(await passwordAccepted({ device, conv, m }))) return;
  await conv.acknowledge();
  const batch = [...device.state.batch];
  await conv.exchange(statusInformation(totalsBmps(device, batch)));
  await sendReceipt(conv, device, totalsReceipt('Turnover totals', device, batch));
  await conv.exchange(completion());
}
