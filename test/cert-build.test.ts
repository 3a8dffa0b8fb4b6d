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
  it('gives PASS when every mandatory step passed with evidence and every store was read back', () => {
    const c = buildCertificate(input());
    expect(c.schemaVersion).toBe('posdecom-certificate/2');
    expect(c.overall).toEqual({ result: 'PASS', reasons: [], findings: [] });
    expect(c.sanitization).toMatchObject({
      methodType: 'Clear',
      methodUsed: 'crypto erase, overwrite',
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
    expect(c.backup.dataBackedUp).toBe('yes');
    expect(c.validation).toMatch(/validation\.json/);
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

  it('gives INCOMPLETE, never PASS, when a mandatory step is missing', () => {
    const c = buildCertificate(input((i) => (i.steps = i.steps.filter((s) => s.step !== 'key-zeroization'))));
    expect(c.overall).toEqual({ result: 'INCOMPLETE', reasons: ['key-zeroization: missing'], findings: [] });
    expect(c.pciDss.poiInventory.status).toBe('decommission-incomplete');
  });

  it('needs a disable-acceptance step for every channel the terminal has', () => {
    const c = buildCertificate(input((i) => (i.steps = i.steps.filter((s) => s.target !== 'nfc'))));
    expect(c.overall.result).toBe('INCOMPLETE');
    expect(c.overall.reasons).toEqual(['disable-acceptance (nfc): missing']);
  });

  it('needs an erase and an erase-verification for every store, and calls a store without them not sanitized', () => {
    const c = buildCertificate(
      input(
        (i) => (i.steps = i.steps.filter((s) => !(s.step === 'erase-verification' && s.target === 'logs'))),
      ),
    );
    expect(c.overall.reasons).toEqual(['erase-verification (logs): missing']);
    expect(c.sanitization).toMatchObject({
      methodType: 'None',
      result: 'UNKNOWN',
      verificationMethod: 'other',
    });
    expect(c.sanitization.stores.find((s) => s.store === 'logs')).toMatchObject({
      methodType: 'None',
      reason: 'not sanitized: the erase or its verification is UNKNOWN',
      result: 'UNKNOWN',
    });
  });

  it('gives INCOMPLETE when a step is UNKNOWN', () => {
    const c = buildCertificate(input((i) => (stepOf(i, 'unbind').result = 'UNKNOWN')));
    expect(c.overall).toMatchObject({ result: 'INCOMPLETE', reasons: ['unbind: UNKNOWN'] });
  });

  it('keeps PASS for a WARN on a mandatory step, and lists it as a finding that cannot hide', () => {
    const c = buildCertificate(
      input((i) => {
        stepOf(i, 'backup', 'saf').result = 'WARN';
        stepOf(i, 'backup', 'saf').note = 'PCI: a full PAN was found in clear in the backup';
      }),
    );
    expect(c.overall).toEqual({
      result: 'PASS',
      reasons: [],
      findings: ['backup (saf): WARN (PCI: a full PAN was found in clear in the backup)'],
    });
    expect(c.backup.dataBackedUp).toBe('yes');
    expect(internalRuleViolations(c)).toEqual([]);
  });

  it('ranks FAIL over INCOMPLETE and lists every reason', () => {
    const c = buildCertificate(
      input((i) => {
        stepOf(i, 'settle').result = 'WARN';
        stepOf(i, 'unbind').result = 'UNKNOWN';
        stepOf(i, 'finalize').result = 'FAIL';
      }),
    );
    expect(c.overall.result).toBe('FAIL');
    expect(c.overall.reasons).toEqual(['finalize: FAIL', 'unbind: UNKNOWN']);
    expect(c.overall.findings).toEqual(['settle: WARN']);
  });

  it('records a PASS without evidence as UNKNOWN, with the reason in the note', () => {
    const c = buildCertificate(input((i) => (stepOf(i, 'network-down').evidence = {})));
    const step = c.steps.find((s) => s.step === 'network-down');
    expect(step).toMatchObject({ result: 'UNKNOWN', note: 'recorded as PASS without evidence' });
    expect(c.overall.result).toBe('INCOMPLETE');
    expect(internalRuleViolations(c)).toEqual([]);
  });

  it('calls a store the agent did not read back itself not sanitized, whatever the terminal says', () => {
    const c = buildCertificate(
      input((i) => {
        stepOf(i, 'erase-verification', 'config').evidence = {
          verification: 'sampling',
          readBack: false,
          samples: 1000,
        };
      }),
    );
    expect(c.sanitization).toMatchObject({ methodType: 'None', verificationMethod: 'quick sampling' });
    expect(c.sanitization.stores.find((s) => s.store === 'config')?.reason).toBe(
      'not sanitized: the agent did not read the store back itself',
    );
  });

  it('calls an overwrite Clear, on flash or any medium: it goes through the ordinary write path', () => {
    const c = buildCertificate(
      input((i) => {
        for (const s of i.steps) if (s.step === 'erase') s.evidence = { method: 'overwrite3', passes: 3 };
      }),
    );
    expect(c.sanitization).toMatchObject({ methodType: 'Clear', methodUsed: 'overwrite' });
    const journal = c.sanitization.stores.find((s) => s.store === 'journal');
    expect(journal).toMatchObject({ media: 'flash', nistMethod: 'overwrite', methodType: 'Clear' });
    expect(journal?.reason).toMatch(/ordinary write path on flash media.*s\.2\.5, Table A/);
    expect(c.sanitization.stores.find((s) => s.store === 'config')?.reason).toMatch(
      /media of unreported type/,
    );
  });

  it('calls a crypto erase Purge only when the terminal reports the media key destroyed', () => {
    const c = buildCertificate(
      input((i) => {
        for (const s of i.steps)
          if (s.step === 'erase') s.evidence = { method: 'crypto', passes: 1, keyDestroyed: true };
      }),
    );
    expect(c.sanitization).toMatchObject({ methodType: 'Purge', methodUsed: 'crypto erase' });
    expect(c.sanitization.stores.every((s) => s.methodType === 'Purge')).toBe(true);
    expect(c.pciDss.mediaDestruction.statement).toContain('NIST SP 800-88 Purge: crypto erase');
  });

  it('calls a crypto erase without a key-destroyed report Clear at most, and says why', () => {
    const c = buildCertificate(
      input((i) => {
        for (const s of i.steps) if (s.step === 'erase') s.evidence = { method: 'crypto', passes: 1 };
        stepOf(i, 'erase', 'saf').evidence = { method: 'crypto', passes: 1, keyDestroyed: false };
      }),
    );
    expect(c.sanitization.methodType).toBe('Clear');
    for (const s of c.sanitization.stores) {
      expect(s.methodType).toBe('Clear');
      expect(s.reason).toMatch(/did not report the media encryption key destroyed: Clear at most/);
    }
  });

  it('gives the weakest store method type as the summary', () => {
    const c = buildCertificate(
      input((i) => {
        for (const s of i.steps)
          if (s.step === 'erase') s.evidence = { method: 'crypto', passes: 1, keyDestroyed: true };
        stepOf(i, 'erase', 'batch').evidence = { method: 'overwrite1', passes: 1 };
      }),
    );
    expect(c.sanitization.methodType).toBe('Clear');
    const failed = buildCertificate(input((i) => (stepOf(i, 'erase', 'batch').result = 'FAIL')));
    expect(failed.sanitization.methodType).toBe('None');
  });

  it('does not count an unknown erase method towards Purge', () => {
    const c = buildCertificate(
      input((i) => (stepOf(i, 'erase', 'batch').evidence = { method: 'factory-reset', passes: 1 })),
    );
    expect(c.sanitization.methodUsed).toBe('crypto erase, other, overwrite');
    expect(c.sanitization.stores.find((s) => s.store === 'batch')).toMatchObject({
      nistMethod: 'other',
      methodType: 'Clear',
    });
  });

  it('does not accept a backup step PASS without a manifest digest', () => {
    const c = buildCertificate(
      input((i) => (i.backup = { made: false, location: null, manifestSha256: null })),
    );
    expect(c.overall.result).toBe('INCOMPLETE');
    expect(c.overall.reasons).toContain('backup: step PASS but no backup manifest recorded');
  });

  it('says data backed up "no" when a store has no verified backup, and "unknown" when it could not be measured', () => {
    const failed = buildCertificate(input((i) => (stepOf(i, 'backup', 'logs').result = 'FAIL')));
    expect(failed.backup.dataBackedUp).toBe('no');
    const unmeasured = buildCertificate(input((i) => (stepOf(i, 'backup', 'logs').result = 'UNKNOWN')));
    expect(unmeasured.backup.dataBackedUp).toBe('unknown');
  });

  it('flags a per-store step for a store the device does not have', () => {
    const c = buildCertificate(input((i) => (stepOf(i, 'erase', 'saf').target = 'sav')));
    expect(c.overall.reasons).toEqual(
      expect.arrayContaining(['erase (sav): not a store of this device', 'erase (saf): missing']),
    );
  });

  it('says simulated in the device block and the signed statement for a simulated terminal', () => {
    const c = buildCertificate(input());
    expect(c.device).toMatchObject({ simulated: true, transport: 'sim', protocol: 'posdecom-line/1.0' });
    expect(c.attestation).toContain('The terminal was simulated: this is not a record of a device.');
    const real = buildCertificate(
      input((i) => (i.device = { ...i.device, simulated: false, transport: 'serial' })),
    );
    expect(real.attestation).not.toContain('simulated');
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
