import { describe, expect, it } from 'vitest';
import { buildCertificate } from '../wipe/certificate/build.js';
import type {
  AttestationInput,
  CertificateInput,
  StepRecord,
  Technician,
} from '../wipe/certificate/model.js';
import { sampleCertificateInput } from '../wipe/certificate/sample.js';
import { schemaErrors } from '../wipe/certificate/schema.js';
import { internalRuleViolations } from '../wipe/verify/rules.js';

/** The technician's word (`--attest`) replaces only what was not measured, and is never a PASS. */

const TECH: Technician = {
  name: 'Jane Doe',
  organisation: 'Example Retail',
  contact: 'jane@example.com',
  signerSubject: 'CN=Jane Doe, O=Example Retail',
};
const PHOTO = { name: 'nfc.jpg', path: 'attestation/01-nfc.jpg', size: 2048, sha256: 'ab'.repeat(32) };

function attestation(
  step: AttestationInput['step'],
  target?: string,
  statement = 'Done by hand.',
): AttestationInput {
  return {
    step,
    ...(target ? { target } : {}),
    statement,
    time: '2025-03-14T08:55:00.000Z',
    evidence: [PHOTO],
  };
}

function build(edit: (i: CertificateInput) => void) {
  const i = sampleCertificateInput(TECH);
  edit(i);
  const c = buildCertificate(i);
  expect(schemaErrors(c)).toEqual([]);
  expect(internalRuleViolations(c)).toEqual([]);
  return c;
}

function step(steps: StepRecord[], name: string, target?: string): StepRecord {
  const s = steps.find((x) => x.step === name && x.target === target);
  if (!s) throw new Error(`no ${name} ${target ?? ''}`);
  return s;
}

describe('attestations in the certificate', () => {
  it('turn an UNKNOWN step into ATTESTED with the statement, time and evidence digests, and the job into INCOMPLETE', () => {
    const c = build((i) => {
      step(i.steps, 'disable-acceptance', 'nfc').result = 'UNKNOWN';
      i.attestations = [attestation('disable-acceptance', 'nfc', 'NFC switched off in the terminal menu.')];
    });
    expect(step(c.steps, 'disable-acceptance', 'nfc')).toMatchObject({
      result: 'ATTESTED',
      attestation: {
        statement: 'NFC switched off in the terminal menu.',
        time: '2025-03-14T08:55:00.000Z',
        evidence: [PHOTO],
      },
      note: 'not measured by the tool; attested by the technician',
    });
    expect(c.overall).toEqual({
      result: 'INCOMPLETE',
      reasons: ['disable-acceptance (nfc): ATTESTED, done by hand and not measured'],
      findings: [],
    });
    expect(c.attestation).toContain('The steps disable-acceptance (nfc) were done by hand');
    expect(c.pciDss.poiInventory.status).toBe('decommission-incomplete');
  });

  it('leave a measured PASS a PASS, recording the attestation as a note and a finding', () => {
    const c = build((i) => (i.attestations = [attestation('network-down')]));
    const s = step(c.steps, 'network-down');
    expect(s).toMatchObject({
      result: 'PASS',
      note: 'an attestation was also given; the measured PASS stands',
    });
    expect(s.attestation?.statement).toBe('Done by hand.');
    expect(c.overall).toEqual({
      result: 'PASS',
      reasons: [],
      findings: ['network-down: the technician also gave an attestation; the measured PASS stands'],
    });
  });

  it('leave a measured FAIL a FAIL', () => {
    const c = build((i) => {
      step(i.steps, 'key-zeroization').result = 'FAIL';
      i.attestations = [attestation('key-zeroization')];
    });
    expect(step(c.steps, 'key-zeroization').result).toBe('FAIL');
    expect(c.overall.result).toBe('FAIL');
  });

  it('stand in for a step with no record at all, still never a PASS', () => {
    const c = build((i) => {
      i.steps = i.steps.filter((s) => s.step !== 'key-zeroization');
      i.attestations = [attestation('key-zeroization', undefined, 'Keys zeroized on the PIN pad.')];
    });
    const s = step(c.steps, 'key-zeroization');
    expect(s).toMatchObject({ result: 'ATTESTED', evidence: {}, startedAt: '2025-03-14T08:55:00.000Z' });
    // Steps stay in protocol order.
    expect(c.steps.findIndex((x) => x === s)).toBeGreaterThan(
      c.steps.findIndex((x) => x.step === 'erase-verification'),
    );
    expect(c.overall.result).toBe('INCOMPLETE');
  });

  it('take the later of two attestations for the same step and target', () => {
    const c = build((i) => {
      step(i.steps, 'unbind').result = 'UNKNOWN';
      i.attestations = [
        attestation('unbind', undefined, 'first'),
        attestation('unbind', undefined, 'second'),
      ];
    });
    expect(step(c.steps, 'unbind').attestation?.statement).toBe('second');
  });

  it('never let an erase resting on the technician’s word count as sanitized', () => {
    const c = build((i) => {
      step(i.steps, 'erase', 'logs').result = 'UNKNOWN';
      i.attestations = [attestation('erase', 'logs')];
    });
    expect(c.sanitization.stores.find((s) => s.store === 'logs')).toMatchObject({
      methodType: 'None',
      reason: 'not sanitized: the erase or its verification is ATTESTED',
    });
    expect(c.sanitization.methodType).toBe('None');
  });

  it('record an ATTESTED step that arrives without a statement as UNKNOWN, not ATTESTED', () => {
    const c = build((i) => (step(i.steps, 'unbind').result = 'ATTESTED'));
    expect(step(c.steps, 'unbind')).toMatchObject({
      result: 'UNKNOWN',
      note: 'recorded as ATTESTED without a statement',
    });
    expect(c.overall.result).toBe('INCOMPLETE');
  });
});
