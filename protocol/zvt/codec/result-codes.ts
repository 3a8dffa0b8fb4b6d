import { hex2 } from './encoding.js';

/**
 * Result codes (PA00P015 ch. 10, "Error-Messages"): the byte after 84 in a negative
 * acknowledgement, the untagged byte of Abort 06 1E, and BMP 27. 01-63 are the network
 * operator's own codes and have no fixed text.
 */
const RESULT_TEXT: Record<number, string> = {
  0x00: 'no error',
  0x64: 'card not readable',
  0x65: 'card data not present',
  0x66: 'processing error',
  0x67: 'function not permitted for ec- and Maestro-cards',
  0x68: 'function not permitted for credit- and tank-cards',
  0x6a: 'turnover file full',
  0x6b: 'function deactivated (PT not registered)',
  0x6c: 'abort via timeout or abort-key',
  0x6e: 'card in blocked-list',
  0x6f: 'wrong currency',
  0x71: 'credit not sufficient',
  0x72: 'chip error',
  0x73: 'card data incorrect',
  0x77: 'end-of-day batch not possible',
  0x78: 'card expired',
  0x79: 'card not yet valid',
  0x7a: 'card unknown',
  0x7d: 'communication error (communication module does not answer)',
  0x83: 'function not possible',
  0x85: 'key missing',
  0x89: 'PIN-pad defective',
  0x9a: 'ZVT protocol error',
  0x9b: 'error from dial-up/communication fault',
  0x9c: 'please wait',
  0xa0: 'receiver not ready',
  0xa1: 'remote station does not respond',
  0xa3: 'no connection',
  0xb1: 'memory full',
  0xb2: 'merchant-journal full',
  0xb4: 'already reversed',
  0xb5: 'reversal not possible',
  0xb7: 'pre-authorisation incorrect (amount too high) or amount wrong',
  0xb8: 'error pre-authorisation',
  0xbf: 'voltage supply too low',
  0xc2: 'diagnosis required',
  0xc3: 'maximum amount exceeded',
  0xcc: 'printer not ready',
  0xdc: 'card inserted',
  0xe0: 'remote-maintenance activated',
  0xe4: 'terminal activation required',
  0xf0: 'open end-of-day batch present',
  0xfa: 'error transmitting offline transactions (clearing error)',
  0xfb: 'turnover data-set defective',
  0xfc: 'necessary device not present',
  0xfe: 'register unknown',
  0xff: 'system error',
};

export function resultText(code: number): string {
  const known = RESULT_TEXT[code];
  if (known) return known;
  if (code >= 0x01 && code <= 0x63) return `network operator code ${code}`;
  return `result code ${hex2(code)}`;
}

/**
 * The result codes this implementation gives a meaning of its own (README: "Choices where the
 * spec was not at hand"). RESULT.wrongPassword is what the simulator answers a wrong password with.
 */
export const RESULT = {
  ok: 0x00,
  wrongPassword: 0x6b,
  stoppedByEcr: 0x6c,
  wrongCurrency: 0x1e,
  batchNotPossible: 0x77,
  functionNotPossible: 0x83,
  pleaseWait: 0x9c,
  noConnection: 0xa3,
  preAuthorisation: 0xb8,
  openBatch: 0xf0,
  systemError: 0xff,
} as const;

/**
 * Intermediate status codes (PA00P015 ch. 11): only those whose text we are sure of; others are
 * shown by their number. The captures show 17 as "please wait".
 */
const STATUS_TEXT: Record<number, string> = {
  0x00: 'waiting for amount confirmation',
  0x01: 'please watch PIN-pad',
  0x0a: 'insert card',
  0x0b: 'please remove card',
  0x0e: 'please wait',
  0x17: 'please wait',
};

export function intermediateStatusText(code: number): string {
  return STATUS_TEXT[code] ?? `status ${hex2(code)}`;
}
