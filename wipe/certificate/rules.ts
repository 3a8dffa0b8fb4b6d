import {
  MANDATORY_STEPS,
  PER_CHANNEL_STEPS,
  PER_STORE_STEPS,
  type BackupRecord,
  type DeviceRecord,
  type OverallResult,
  type StepRecord,
} from './model.js';
import { effectiveResult, hasAttestation, stepLabel } from './results.js';

/**
 * The rules that turn step records into the overall result. buildCertificate applies them and
 * the verifier re-applies them to a signed certificate, so a certificate whose stated result
 * does not follow from its own steps is caught even when its signature is good.
 *
 *   overall = FAIL        if any step FAILed
 *           = INCOMPLETE  else if any step is UNKNOWN or ATTESTED, a PASS has no evidence, or a
 *                         mandatory step (per channel / per store where it applies) is missing
 *           = PASS        otherwise: every mandatory step present and measured PASS
 *
 * A WARN is a PASS with findings (NIST: the step was done and verified; PCI: something was
 * found that someone must look at): it keeps the overall PASS but is listed in `findings`, so
 * it cannot hide. Nothing the tool did not measure can add up to PASS: the technician's word
 * (ATTESTED) makes a job INCOMPLETE, never PASS.
 */

export function computeOverall(
  device: DeviceRecord,
  steps: StepRecord[],
  backup: BackupRecord,
): OverallResult {
  const failed: string[] = [];
  const incomplete: string[] = [];
  const findings: string[] = [];

  for (const s of steps) judgeStep(s, failed, incomplete, findings);
  missingSteps(device, steps, incomplete);

  const backupPassed = steps.some((s) => s.step === 'backup' && s.result === 'PASS');
  if (backupPassed && (!backup.made || backup.manifestSha256 === null)) {
    incomplete.push('backup: step PASS but no backup manifest recorded');
  }
  if (backup.made && backup.manifestSha256 === null)
    incomplete.push('backup: made but its manifest digest is missing');

  const result = failed.length > 0 ? 'FAIL' : incomplete.length > 0 ? 'INCOMPLETE' : 'PASS';
  return { result, reasons: result === 'PASS' ? [] : [...failed, ...incomplete], findings };
}

function judgeStep(s: StepRecord, failed: string[], incomplete: string[], findings: string[]): void {
  const label = stepLabel(s);
  const note = s.note ? ` (${s.note})` : '';
  const effective = effectiveResult(s);
  if (effective === 'FAIL') failed.push(`${label}: FAIL${note}`);
  else if (s.result === 'ATTESTED' && !hasAttestation(s))
    incomplete.push(`${label}: ATTESTED without the technician's statement and time`);
  else if (effective === 'ATTESTED') incomplete.push(`${label}: ATTESTED, done by hand and not measured`);
  else if (effective === 'UNKNOWN' && s.result !== 'UNKNOWN')
    incomplete.push(`${label}: ${s.result} without evidence`);
  else if (effective === 'UNKNOWN') incomplete.push(`${label}: UNKNOWN${note}`);
  else if (effective === 'WARN') findings.push(`${label}: WARN${note}`);
  if (s.attestation && s.result !== 'ATTESTED') {
    findings.push(`${label}: the technician also gave an attestation; the measured ${s.result} stands`);
  }
}

function missingSteps(device: DeviceRecord, steps: StepRecord[], incomplete: string[]): void {
  const storeNames = device.stores.map((st) => st.name);
  if (storeNames.length === 0) incomplete.push('the device reported no stores, so nothing was shown erased');
  for (const name of MANDATORY_STEPS) {
    const perChannel = PER_CHANNEL_STEPS.includes(name);
    const targets = perChannel ? device.channels : PER_STORE_STEPS.includes(name) ? storeNames : undefined;
    const records = steps.filter((s) => s.step === name);
    if (targets === undefined) {
      if (records.length === 0) incomplete.push(`${name}: missing`);
      continue;
    }
    for (const t of targets) {
      if (!records.some((s) => s.target === t)) incomplete.push(`${name} (${t}): missing`);
    }
    for (const s of records) {
      if (s.target === undefined || !targets.includes(s.target)) {
        incomplete.push(`${stepLabel(s)}: not a ${perChannel ? 'channel' : 'store'} of this device`);
      }
    }
  }
}
