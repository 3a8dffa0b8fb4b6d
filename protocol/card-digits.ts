/**
 * What every card-number check shares, from the transcript masks (line and ZVT) to the PCI
 * scanner: runs of ASCII digits in bytes, and the Luhn check digit. Kept here, at the bottom of
 * the layers, so that each of them can use the one copy.
 */
export const isAsciiDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

/** Each maximal run of ASCII digits in `bytes`, as [start, end). */
export function* digitRuns(bytes: Buffer): Generator<{ start: number; end: number }> {
  for (let i = 0; i < bytes.length;) {
    if (!isAsciiDigit(bytes[i])) {
      i++;
      continue;
    }
    let end = i;
    while (isAsciiDigit(bytes[end])) end++;
    yield { start: i, end };
    i = end;
  }
}

/** The Luhn (mod 10) check over a string of decimal digits, as every payment card number passes it. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}
