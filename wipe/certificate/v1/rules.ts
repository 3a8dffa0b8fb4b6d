import {
  MANDATORY_STEPS,
  PER_CHANNEL_STEPS,
  PER_STORE_STEPS,
  type BackupRecord,
  type DeviceRecord,
  type OverallResult,
  type Result,
  type StepRecord,
} from './model.js';
import { hasEvidence, stepLabel, worst } from './results.js';

/**
 * The rules that turn step records into results. buildCertificate applies them and the
 * verifier re-applies them to a signed certificate, so a certificate whose stated results do not
 * follow from its own steps is caught even when its signature is good.
 *
 *   overall = FAIL     if any step FAILed
 *           = UNKNOWN  else if any step is UNKNOWN, PASS without evidence, or a mandatory
 *                      step (per channel / per store where it applies) is missing
 *           = WARN     else if any step WARNed
 *           = PASS     otherwise: every mandatory step present and PASS
 *
 * So a WARN on a mandatory step caps the overall result at WARN, and nothing that was not
 * measured can add up to PASS.
 */

export function computeOverall(
  device: DeviceRecord,
  steps: StepRecord[],
  backup: BackupRecord,
): OverallResult {
  const found: Result[] = [];
  const reasons: string[] = [];
  const flag = (result: Result, reason: string) => {
    found.push(result);
    reasons.push(reason);
  };

  for (const s of steps) {
    if (s.result !== 'PASS') flag(s.result, `${stepLabel(s)}: ${s.result}${s.note ? ` (${s.note})` : ''}`);
    else if (!hasEvidence(s)) flag('UNKNOWN', `${stepLabel(s)}: PASS without evidence`);
  }

  const storeNames = device.stores.map((st) => st.name);
  if (storeNames.length === 0) flag('UNKNOWN', 'the device reported no stores, so nothing was shown erased');
  for (const name of MANDATORY_STEPS) {
    const targets = PER_CHANNEL_STEPS.includes(name)
      ? device.channels
      : PER_STORE_STEPS.includes(name)
        ? storeNames
        : undefined;
    const records = steps.filter((s) => s.step === name);
    if (targets === undefined) {
      if (records.length === 0) flag('UNKNOWN', `${name}: missing`);
      continue;
    }
    for (const t of targets) {
      if (!records.some((s) => s.target === t)) flag('UNKNOWN', `${name} (${t}): missing`);
    }
    for (const s of records) {
      if (s.target === undefined || !targets.includes(s.target)) {
        flag(
          'UNKNOWN',
          `${stepLabel(s)}: not a ${PER_CHANNEL_STEPS.includes(name) ? 'channel' : 'store'} of this device`,
        );
      }
    }
  }

  const backupPassed = steps.some((s) => s.step === 'backup' && s.result === 'PASS');
  if (backupPassed && (!backup.made || backup.manifestSha256 === null)) {
    flag('UNKNOWN', 'backup: step PASS but no backup manifest recorded');
  }
  if (backup.made && backup.manifestSha256 === null)
    flag('UNKNOWN', 'backup: made but its manifest digest is missing');

  const result = worst(found);
  return { result, reasons: result === 'PASS' ? [] : reasons };
}
