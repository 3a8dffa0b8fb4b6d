import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { buildCertificate } from '../wipe/certificate/build.js';
import type { CertificateInput, StepRecord, Technician } from '../wipe/certificate/model.js';
import { sampleCertificateInput } from '../wipe/certificate/sample.js';
import { schemaErrors } from '../wipe/certificate/schema.js';
import { internalRuleViolations } from '../wipe/verify/rules.js';

const TECH: Technician = {
  name: 'Jane Doe',
  organisation: 'Example Retail',
  contact: 'jane@example.com',
  signerSubject: 'CN=Jane Doe, O=Example Retail',
};

function input(edit: (i: CertificateInput) => void = () => undefined): CertificateInput {
  const i = sampleCertificateInput(TECH);
  edit(i);
  return i;
}

function stepOf(i: CertificateInput, step: StepRecord['step'], target?: string): StepRecord {
  const s = i.steps.find((r) => r.step === step && (target === undefined || r.target === target));
  if (!s) throw new Error(`sample has no ${step} ${target ?? ''}`);
  return s;
}

describe('buildCertificate', () => {
  it('gives PASS and Purge when every mandatory step passed with evidence and every store was read back', () => {
    const c = buildCertificate(input());
    expect(c.overall).toEqual({ result: 'PASS', reasons: [] });
    expect(c.sanitization).toMatchObject({
      methodType: 'Purge',
      methodUsed: 'overwrite',
      verificationMethod: 'full',
      result: 'PASS',
    });
    expect(c.pciDss.poiInventory).toEqual({
      requirement: '9.5.1.1',
      make: 'Simulated',
      model: 'SIM-1',
      serialNumber: 'SIM0001',
      location: 'Store 12, till 3',
      status: 'decommissioned',
    });
    expect(c.pciDss.mediaDestruction.cardholderDataStores).toEqual(['journal', 'batch', 'saf']);
    expect(c.attestation).toContain('Overall result: PASS');
    expect(c.issuedAt).toMatch(/Z$/);
    expect(schemaErrors(c)).toEqual([]);
    expect(internalRuleViolations(c)).toEqual([]);
  });

  it('gives FAIL when any step failed, whatever else passed', () => {
    const c = buildCertificate(input((i) => (stepOf(i, 'settle').result = 'FAIL')));
    expect(c.overall.result).toBe('FAIL');
    expect(c.overall.reasons).toContain('settle: FAIL');
    expect(c.pciDss.poiInventory.status).toBe('decommission-incomplete');
  });

  it('gives UNKNOWN, never PASS, when a mandatory step is missing', () => {
    const c = buildCertificate(input((i) => (i.steps = i.steps.filter((s) => s.step !== 'key-zeroization'))));
    expect(c.overall).toEqual({ result: 'UNKNOWN', reasons: ['key-zeroization: missing'] });
  });

  it('needs a disable-acceptance step for every channel the terminal has', () => {
    const c = buildCertificate(input((i) => (i.steps = i.steps.filter((s) => s.target !== 'nfc'))));
    expect(c.overall.result).toBe('UNKNOWN');
    expect(c.overall.reasons).toEqual(['disable-acceptance (nfc): missing']);
  });

  it('needs an erase and an erase-verification for every store, and says Clear without them', () => {
    const c = buildCertificate(
      input(
        (i) => (i.steps = i.steps.filter((s) => !(s.step === 'erase-verification' && s.target === 'logs'))),
      ),
    );
    expect(c.overall.reasons).toEqual(['erase-verification (logs): missing']);
    expect(c.sanitization).toMatchObject({
      methodType: 'Clear',
      result: 'UNKNOWN',
      verificationMethod: 'other',
    });
    expect(c.sanitization.methodDetails).toContain(
      'logs: overwrite3, 3 passes; verification: not verified; UNKNOWN',
    );
  });

  it('gives UNKNOWN when a step is UNKNOWN', () => {
    const c = buildCertificate(input((i) => (stepOf(i, 'unbind').result = 'UNKNOWN')));
    expect(c.overall.result).toBe('UNKNOWN');
  });

  it('gives WARN when mandatory steps are present and the worst is a WARN', () => {
    const c = buildCertificate(input((i) => (stepOf(i, 'settle').result = 'WARN')));
    expect(c.overall).toEqual({ result: 'WARN', reasons: ['settle: WARN'] });
    expect(c.pciDss.poiInventory.status).toBe('decommissioned');
  });

  it('ranks FAIL over UNKNOWN over WARN', () => {
    const c = buildCertificate(
      input((i) => {
        stepOf(i, 'settle').result = 'WARN';
        stepOf(i, 'unbind').result = 'UNKNOWN';
        stepOf(i, 'finalize').result = 'FAIL';
      }),
    );
    expect(c.overall.result).toBe('FAIL');
    expect(c.overall.reasons).toHaveLength(3);
  });

  it('records a PASS without evidence as UNKNOWN, with the reason in the note', () => {
    const c = buildCertificate(input((i) => (stepOf(i, 'network-down').evidence = {})));
    const step = c.steps.find((s) => s.step === 'network-down');
    expect(step).toMatchObject({ result: 'UNKNOWN', note: 'recorded as PASS without evidence' });
    expect(c.overall.result).toBe('UNKNOWN');
    expect(internalRuleViolations(c)).toEqual([]);
  });

  it('says Clear when a store was verified only by sampling the terminal, not read back', () => {
    const c = buildCertificate(
      input((i) => {
        stepOf(i, 'erase-verification', 'config').evidence = {
          verification: 'sampling',
          readBack: false,
          samples: 1000,
        };
      }),
    );
    expect(c.sanitization).toMatchObject({
      methodType: 'Clear',
      verificationMethod: 'quick sampling',
      result: 'PASS',
    });
  });

  it('names crypto erase in NIST terms and keeps Purge when read back', () => {
    const c = buildCertificate(
      input((i) => {
        for (const s of i.steps) if (s.step === 'erase') s.evidence = { method: 'crypto', passes: 1 };
      }),
    );
    expect(c.sanitization).toMatchObject({ methodType: 'Purge', methodUsed: 'crypto erase' });
  });

  it('does not count an unknown erase method towards Purge', () => {
    const c = buildCertificate(
      input((i) => (stepOf(i, 'erase', 'batch').evidence = { method: 'factory-reset', passes: 1 })),
    );
    expect(c.sanitization).toMatchObject({ methodType: 'Clear', methodUsed: 'other, overwrite' });
  });

  it('does not accept a backup step PASS without a manifest digest', () => {
    const c = buildCertificate(
      input((i) => (i.backup = { made: false, location: null, manifestSha256: null })),
    );
    expect(c.overall.result).toBe('UNKNOWN');
    expect(c.overall.reasons).toContain('backup: step PASS but no backup manifest recorded');
  });

  it('flags a per-store step for a store the device does not have', () => {
    const c = buildCertificate(input((i) => (stepOf(i, 'erase', 'saf').target = 'sav')));
    expect(c.overall.reasons).toEqual(
      expect.arrayContaining(['erase (sav): not a store of this device', 'erase (saf): missing']),
    );
  });

  it('refuses evidence that JSON cannot carry faithfully', () => {
    expect(() =>
      buildCertificate(input((i) => (stepOf(i, 'settle').evidence = { total: Number.NaN }))),
    ).toThrow(expect.objectContaining({ code: ErrorCode.CertificateInvalid }));
  });

  it('refuses input that breaks the schema', () => {
    expect(() => buildCertificate(input((i) => (i.boundFiles.journalSha256 = 'not-a-digest')))).toThrow(
      /\/boundFiles\/journalSha256/,
    );
  });

  it('copies the input: later changes by the caller do not reach the certificate', () => {
    const i = input();
    const c = buildCertificate(i);
    stepOf(i, 'settle').result = 'FAIL';
    expect(c.steps.find((s) => s.step === 'settle')?.result).toBe('PASS');
  });
});
