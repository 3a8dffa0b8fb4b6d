import type { CertificateInput, StepRecord, Technician } from './model.js';

/**
 * A complete, realistic certificate input for a simulated terminal that decommissioned cleanly:
 * what the workflow hands buildCertificate, with the evidence keys each step really writes.
 * Used by tests, by the PDF preview and as the worked example of which evidence each step
 * carries. No real device, person or key is in it.
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
const SIZE = 262_144;
const TOTALS = [{ currency: 'EUR', minor: 48210 }];
const slot = (n: number, type: string, kcv: string | null) => ({ slot: n, type, kcv });
const KEYS_BEFORE = [
  slot(0, 'TMK', 'A1B2C3'),
  slot(1, 'TPK', '0F1E2D'),
  slot(2, 'TAK', '778899'),
  slot(3, 'SPARE', null),
];
const status = (on: boolean) => ({
  channels: Object.fromEntries(CHANNELS.map((c) => [c, on ? 'on' : 'off'])),
  links: { ethernet: on ? 'up' : 'down' },
  batch: on ? { open: true, count: 17, totals: TOTALS } : { open: false, count: 0, totals: [] },
  battery: null,
  tamper: false,
  bound: on,
  authorized: true,
  state: on ? 'active' : 'decommissioned',
});

type Add = (
  step: StepRecord['step'],
  evidence: Record<string, unknown>,
  target?: string,
  ms?: number,
) => void;

function recorder(steps: StepRecord[], start: number): { add: Add; now: () => Date } {
  let t = start;
  const add: Add = (step, evidence, target, ms = 400) => {
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
  return { add, now: () => new Date(t) };
}

function preparation(add: Add): void {
  const identity = { vendor: 'Simulated', model: 'SIM-1', serial: 'SIM0001', firmware: '1.0.0' };
  const binding = { tid: 'T1234567', mid: 'M99887766', acquirer: 'Example Acquiring' };
  add('identify', {
    ...identity,
    ...binding,
    state: 'active',
    simulated: true,
    confirmedBy: 'IDENTIFY',
    workOrderSerial: 'SIM0001',
  });
  add('authorize', { method: 'HMAC-SHA256 challenge-response', authorityReference: 'AUTH-LETTER-77' });
  const stores = STORES.map((s) => ({
    name: s.name,
    kind: s.kind,
    size: SIZE,
    records: 10,
    sha256: DIGEST(0x10),
    cardData: s.cardData,
    erased: false,
  }));
  add('inventory', { status: status(true), stores, keys: KEYS_BEFORE });
  for (const c of CHANNELS)
    add('disable-acceptance', { before: 'on', after: 'off', confirmedBy: 'STATUS' }, c, 120);
  const queue = { count: 2, totals: [{ currency: 'EUR', minor: 1980 }] };
  add('forward-saf', {
    safBefore: queue,
    forwarded: queue,
    safAfter: { count: 0, totals: [] },
    confirmedBy: 'STATUS',
  });
  add(
    'settle',
    {
      batchBefore: { open: true, count: 17, totals: TOTALS },
      settlement: { batchId: 'B-0042', count: 17, totals: TOTALS },
      batchAfter: { open: false, count: 0, totals: [] },
    },
    undefined,
    2500,
  );
  add('network-down', { before: { ethernet: 'up' }, after: { ethernet: 'down' }, confirmedBy: 'STATUS' });
}

function sanitization(add: Add): void {
  STORES.forEach((s, i) => {
    const evidence = {
      file: `backup/0${i + 1}-${s.name}.cms`,
      bytes: SIZE,
      terminalSha256: DIGEST(0x10),
      receivedSha256: DIGEST(0x10),
      ciphertextSha256: DIGEST(0x20 + i),
      digestsMatch: true,
      encrypted: true,
      cardData: s.cardData,
      manifestSha256: DIGEST(0xab),
    };
    add('backup', evidence, s.name, 1500);
  });
  for (const s of STORES) {
    const crypto = s.kind === 'journal' || s.kind === 'saf';
    const op = `erase-${s.name}`;
    const evidence = crypto
      ? {
          method: 'crypto',
          passes: 1,
          keyDestroyed: true,
          op,
          terminalState: 'done',
          confirmedBy: 'ERASE_STATUS',
        }
      : { method: 'overwrite3', passes: 3, op, terminalState: 'done', confirmedBy: 'ERASE_STATUS' };
    add('erase', evidence, s.name, 3000);
  }
  for (const s of STORES) {
    const crypto = s.kind === 'journal' || s.kind === 'saf';
    const evidence = {
      passed: true,
      verification: 'full',
      readBack: true,
      samples: 64,
      bytesRead: SIZE,
      expected: crypto ? 'random' : 'zeros',
      mismatchedBlocks: 0,
      nearPreEraseBlocks: 0,
      sketch: { bits: 256, nearBelow: 64 },
      randomness: crypto
        ? {
            bytes: SIZE,
            chiSquare: 188.41,
            chiSquareLimit: 302.6,
            runsZ: -0.412,
            runsZLimit: 4.8916,
            passed: true,
          }
        : null,
      terminalVerify: {
        verified: true,
        method: crypto ? 'crypto' : 'overwrite3',
        pattern: crypto ? 'random' : 'zeros',
      },
      storeAfter: { erased: true, records: 0, sha256: DIGEST(0x30) },
    };
    add('erase-verification', evidence, s.name, 900);
  }
}

function closing(add: Add): void {
  add('key-zeroization', {
    kcvBefore: KEYS_BEFORE,
    kcvAfter: KEYS_BEFORE.map((k) => ({ ...k, kcv: null })),
    zeroizedSlots: [0, 1, 2],
    confirmedBy: 'KEYS',
  });
  add('unbind', {
    tidBefore: 'T1234567',
    midBefore: 'M99887766',
    acquirerBefore: 'Example Acquiring',
    tidAfter: null,
    midAfter: null,
    bound: false,
    confirmedBy: 'IDENTIFY+STATUS',
  });
  add('finalize', {
    safeToPowerOff: true,
    finalStatus: status(false),
    storesErased: STORES.map((s) => ({ name: s.name, erased: true })),
    keySlotsEmpty: true,
  });
}

export function sampleCertificateInput(technician: Technician): CertificateInput {
  const steps: StepRecord[] = [];
  const { add, now } = recorder(steps, Date.parse('2025-03-14T09:00:00.000Z'));
  preparation(add);
  sanitization(add);
  closing(add);
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
    issuedAt: now(),
  };
}
