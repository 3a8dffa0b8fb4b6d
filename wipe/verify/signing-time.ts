import { fail, pass, type Check } from './check.js';

/**
 * signingTime is asserted by whoever holds the key, so it is held to what the signed document
 * says about itself: a signature is made right after the job ends, so its time lies after the
 * last step, within minutes of issuedAt, and not in the future. This is what stops a backdated
 * signature made with an expired (or later revoked) key from passing as an old one.
 */

/** How far our clock and the signer's may disagree (the CA back-dates new certificates as much). */
export const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * How far signingTime may lie from issuedAt. The certificate is built and signed in one go
 * (files.ts), seconds apart; ten minutes covers a slow PDF render and the clock skew.
 */
export const ISSUE_WINDOW_MS = 10 * 60_000;

export function checkSigningTime(
  cert: { issuedAt: string; steps: ReadonlyArray<{ endedAt: string }> },
  signingTime: Date | undefined,
  now: Date,
): Check {
  if (!signingTime) return fail('signing-time', 'no readable signingTime attribute');
  const t = signingTime.getTime();
  const iso = signingTime.toISOString();
  if (t > now.getTime() + CLOCK_SKEW_MS)
    return fail('signing-time', `signingTime ${iso} is in the future (now ${now.toISOString()})`);
  const issued = Date.parse(cert.issuedAt);
  if (Number.isNaN(issued) || Math.abs(t - issued) > ISSUE_WINDOW_MS) {
    return fail(
      'signing-time',
      `signingTime ${iso} is more than ${ISSUE_WINDOW_MS / 60_000} minutes from issuedAt ${cert.issuedAt}`,
    );
  }
  const ends = cert.steps.map((s) => Date.parse(s.endedAt)).filter((e) => !Number.isNaN(e));
  const lastEnd = ends.length > 0 ? Math.max(...ends) : undefined;
  // signingTime has whole seconds (UTCTime), endedAt milliseconds: compare at the second.
  if (lastEnd !== undefined && t < Math.floor(lastEnd / 1000) * 1000) {
    return fail(
      'signing-time',
      `signingTime ${iso} is before the last step ended (${new Date(lastEnd).toISOString()})`,
    );
  }
  return pass(
    'signing-time',
    `${iso}: after the last step, within ${ISSUE_WINDOW_MS / 60_000} minutes of issuedAt, not in the future`,
  );
}
