import type { CertificateInput, StepRecord, Technician } from './model.js';

/**
 * A complete, realistic certificate input for a simulated terminal that decommissioned cleanly:
 * what the workflow hands buildCertificate. Used by tests, by the PDF preview and as the worked
 * example of which evidence each step carries. No real device, person or key is in it.
 */

const CHANNELS = ['contact', 'magstripe', 'nfc', 'qr'];
const STORES = [
  { name: 'journal', kind: 'journal', cardData: true, media: 'flash' },
  { name: 'batch', kind: 'batch', cardData: true, media: 'sram' },
  { name: 'saf', kind: 'saf', cardData: true, media: 'flash' },
  { name: 'settlements', kind: 'settlements', cardData: false, media: 'flash' },
  { name: 'logs', kind: 'logs', cardData: false, media: 'flash' },
  { name: 'config', kind: 'config', cardData: false, media: 'UNKNOWN' },
];
const DIGEST = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

export function sampleCertificateInput(technician: Technician): CertificateInput {
  let t = Date.parse('2025-03-14T09:00:00.000Z');
  const steps: StepRecord[] = [];
  const add = (step: StepRecord['step'], evidence: Record<string, unknown>, target?: string, ms = 400) => {
    const startedAt = new Date(t).toISOString();
    t += ms;
    steps.push({
      step,
      ...(target ? { target } : {}),
      startedAt,
      endedAt: new Date(t).toISOString(),
      result: 'PASS',
      evidence,
    });
    t += 50;
  };
  add('identify', {
    vendor: 'Simulated',
    model: 'SIM-1',
    serial: 'SIM0001',
    tid: 'T1234567',
    mid: 'M99887766',
  });
  add('authorize', { method: 'HMAC-SHA256 challenge', attemptsLeft: 3 });
  add('inventory', { stores: STORES.length, keySlots: 4, kcvBefore: ['A1B2C3', '0F1E2D', '778899', null] });
  for (const c of CHANNELS) add('disable-acceptance', { before: 'on', after: 'off' }, c, 120);
  add(
    'settle',
    { batchId: 'B-0042', count: 17, totals: [{ currency: 'EUR', minor: 48210 }], batchOpenAfter: false },
    undefined,
    2500,
  );
  add('network-down', { links: { ethernet: 'down' } });
  for (const s of STORES) {
    const evidence = {
      bytes: 262_144,
      sha256: DIGEST(0x10),
      manifestSha256: DIGEST(0xab),
      file: `${s.name}.cms`,
    };
    add('backup', evidence, s.name, 1500);
  }
  for (const s of STORES) {
    const crypto = s.kind === 'journal' || s.kind === 'saf';
    const evidence = crypto
      ? { method: 'crypto', passes: 1, keyDestroyed: true, op: `erase-${s.name}`, state: 'done' }
      : { method: 'overwrite3', passes: 3, op: `erase-${s.name}`, state: 'done' };
    add('erase', evidence, s.name, 3000);
  }
  for (const s of STORES) {
    add(
      'erase-verification',
      { verification: 'full', readBack: true, bytesRead: 262_144, nonZero: 0, terminalVerified: true },
      s.name,
      900,
    );
  }
  add('key-zeroization', {
    slots: 4,
    kcvBefore: ['A1B2C3', '0F1E2D', '778899', null],
    kcvAfter: [null, null, null, null],
  });
  add('unbind', { tidAfter: null, midAfter: null, hostConfig: 'cleared' });
  add('finalize', { state: 'decommissioned', safeToPowerOff: true });
  return {
    tool: { name: 'posdecom', version: '0.1.0' },
    technician,
    device: {
      vendor: 'Simulated',
      model: 'SIM-1',
      serial: 'SIM0001',
      firmware: '1.0.0',
      assetTag: 'ASSET-0001',
      location: 'Store 12, till 3',
      source: 'Example Retail Ltd, store 12',
      classification: null,
      tidBefore: 'T1234567',
      midBefore: 'M99887766',
      tidAfter: null,
      midAfter: null,
      channels: CHANNELS,
      stores: STORES,
      protocol: 'posdecom-line/1.0',
      transport: 'sim',
      simulated: true,
    },
    workOrder: {
      id: 'WO-2025-0314',
      reason: 'end-of-lease',
      owner: 'Example Retail Ltd',
      authorizationRef: 'AUTH-LETTER-77',
    },
    destination: {
      kind: 'return-to-provider',
      category: 'external reuse',
      details: 'Lessor depot, Springfield',
    },
    steps,
    backup: { made: true, location: 'backup/ in the job directory', manifestSha256: DIGEST(0xab) },
    boundFiles: { journalSha256: DIGEST(0x01), auditLogSha256: DIGEST(0x02), transcriptSha256: DIGEST(0x03) },
    certificateId: '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b',
    issuedAt: new Date(t),
  };
}
