import type { StepName, StepRecord } from '../model.js';
import { EvidenceReader, count, isRecord, money, plain, words } from './evidence-reader.js';

/**
 * A step's evidence as sentences a person reads: one renderer per step kind, for the keys the
 * workflow writes, and the generic "key: value" sentences for anything else. The full values
 * (every digest, every key check value) are in certificate.json; nothing here is cut short.
 */

type Renderer = (e: EvidenceReader) => string[];

const confirmed = (e: EvidenceReader) =>
  e.has('confirmedBy') ? [`Confirmed by ${e.text('confirmedBy')}.`] : [];

const RENDERERS: Partial<Record<StepName, Renderer>> = {
  identify: (e) => [
    `The terminal identified as ${e.text('vendor')} ${e.text('model')}, serial ${e.text('serial')}, firmware ${e.text('firmware')}.`,
    `TID ${e.text('tid', 'none')}, MID ${e.text('mid', 'none')}, acquirer ${e.text('acquirer', 'none')}; state ${e.text('state')}.`,
    ...(e.bool('simulated') ? ['The terminal says it is simulated.'] : []),
    ...(e.has('workOrderSerial') ? [`The work order names serial ${e.text('workOrderSerial')}.`] : []),
    ...confirmed(e),
  ],
  authorize: (e) => [
    `Authorized by ${e.text('method')}${e.has('authorityReference') ? `, authority reference ${e.text('authorityReference')}` : ''}.`,
  ],
  inventory: (e) => {
    const stores = e.list('stores') ?? [];
    const keys = e.list('keys') ?? [];
    const names = stores.map((s) => (isRecord(s) ? `${plain(s.name)} (${plain(s.size)} bytes)` : plain(s)));
    const loaded = keys.filter((k) => isRecord(k) && k.kcv !== null).length;
    return [
      `${count(stores.length, 'store')}: ${names.join(', ') || 'none'}.`,
      `${count(keys.length, 'key slot')}, ${loaded} loaded.`,
      ...(e.has('status') ? [`Status at the start: ${e.text('status')}.`] : []),
    ];
  },
  'disable-acceptance': (e) => [
    `Acceptance was ${e.text('before')} before and ${e.text('after')} after.`,
    ...confirmed(e),
  ],
  'forward-saf': (e) => {
    if (e.bool('queueReported') === false) {
      return [
        `The terminal (${e.text('protocol')}) does not report a store-and-forward queue; saf stores: ${e.text('safStores', 'none')}.`,
      ];
    }
    const out: string[] = [];
    const before = e.record('safBefore');
    if (before) out.push(`Before: ${queue(before)}.`);
    const sent = e.raw('forwarded');
    if (isRecord(sent)) out.push(`Forwarded to the host: ${queue(sent)}.`);
    else if (sent === null) out.push('Nothing to forward.');
    const after = e.record('safAfter');
    if (after) out.push(`After: ${queue(after)}.`);
    if (e.has('refusal')) out.push(`The terminal refused: ${e.text('refusal')}.`);
    return [...out, ...confirmed(e)];
  },
  settle: (e) => {
    const out: string[] = [];
    const before = e.record('batchBefore');
    if (before) out.push(`Before: ${batch(before)}.`);
    const s = e.record('settlement');
    if (s) {
      const totals = Array.isArray(s.totals) ? s.totals.map(money).join(', ') : 'none';
      out.push(
        `Batch ${plain(s.batchId)} settled: ${plain(s.count)} transactions, totals ${totals || 'none'}.`,
      );
    }
    const after = e.record('batchAfter');
    if (after) out.push(`After: ${batch(after)}.`);
    const stores = e.list('storesAfter');
    if (stores) {
      const sizes = stores.map((x) => (isRecord(x) ? `${plain(x.name)} ${plain(x.size)} bytes` : plain(x)));
      out.push(`Stores read again after settling: ${sizes.join(', ')}.`);
    }
    return out;
  },
  'network-down': (e) => [
    `Links before: ${links(e.record('before'))}; after: ${links(e.record('after'))}.`,
    ...confirmed(e),
  ],
  backup: (e) => [
    ...(e.bool('omitted')
      ? [
          `Not backed up (${e.text('policy')}): ${e.text('reason')}; ${e.text('bytesRead')} bytes read, none kept.`,
        ]
      : [
          `${e.text('bytes')} bytes written to ${e.text('file')}${e.bool('encrypted') ? ', encrypted' : ''}${e.bool('cardData') ? ' (may hold cardholder data)' : ''}.`,
        ]),
    `SHA-256 reported by the terminal ${e.text('terminalSha256')}; of what arrived ${e.text('receivedSha256')}; ${e.bool('digestsMatch') ? 'they match' : 'they do not match'}.`,
    ...(e.has('ciphertextSha256') ? [`SHA-256 of the encrypted file ${e.text('ciphertextSha256')}.`] : []),
    ...(e.has('manifestSha256') ? [`Manifest SHA-256 ${e.text('manifestSha256')}.`] : []),
    ...pciSentences(e.record('pci')),
  ],
  erase: (e) => {
    const passes = e.num('passes');
    const key = e.bool('keyDestroyed');
    return [
      `Erased by ${e.text('method')}${passes === undefined ? '' : `, ${count(passes, 'pass', 'passes')}`}${e.has('op') ? ` (operation ${e.text('op')})` : ''}.`,
      ...(e.has('terminalState') ? [`The terminal reported the erase ${e.text('terminalState')}.`] : []),
      ...(key === undefined ? [] : [`The media encryption key was ${key ? '' : 'not '}reported destroyed.`]),
      ...confirmed(e),
    ];
  },
  'erase-verification': (e) => {
    const out: string[] = [];
    if (e.bool('readBack')) {
      out.push(
        `Read back by the agent (${e.text('verification')}): ${e.text('samples')} blocks, ${e.text('bytesRead')} bytes, expected ${e.text('expected', 'the declared pattern')}; ${e.text('mismatchedBlocks', '0')} not erased.`,
      );
    } else out.push(`Verification: ${e.text('verification', 'none')}; not read back by the agent.`);
    out.push(...readBackSentences(e));
    const tv = e.record('terminalVerify');
    if (tv)
      out.push(
        `The terminal's own check: ${tv.verified === true ? 'verified' : 'not verified'} (${plain(tv.method)}, ${plain(tv.pattern)}).`,
      );
    const after = e.record('storeAfter');
    if (after)
      out.push(
        `STORES afterwards: ${after.erased === true ? 'erased' : 'not erased'}, ${plain(after.records)} records, SHA-256 ${plain(after.sha256)}.`,
      );
    return out;
  },
  'key-zeroization': (e) => [
    `Key check values before: ${slots(e.list('kcvBefore'))}.`,
    `After: ${slots(e.list('kcvAfter'))}.`,
    ...(e.has('zeroizedSlots') ? [`The terminal reports slots ${e.text('zeroizedSlots')} zeroized.`] : []),
    ...confirmed(e),
  ],
  unbind: (e) => [
    `Before: TID ${e.text('tidBefore', 'none')}, MID ${e.text('midBefore', 'none')}, acquirer ${e.text('acquirerBefore', 'none')}.`,
    `After: TID ${e.text('tidAfter', 'none')}, MID ${e.text('midAfter', 'none')}; ${e.bool('bound') ? 'still bound' : 'not bound'}.`,
    ...confirmed(e),
  ],
  finalize: (e) => {
    const stores = e.list('storesErased') ?? [];
    const erased = stores.filter((s) => isRecord(s) && s.erased === true).length;
    return [
      `The terminal reports ${e.bool('safeToPowerOff') ? '' : 'not '}safe to power off; ${erased} of ${count(stores.length, 'store')} erased; ${e.bool('keySlotsEmpty') ? 'every key slot empty' : 'key slots not all empty'}.`,
      ...(e.has('finalStatus') ? [`Final status: ${e.text('finalStatus')}.`] : []),
    ];
  },
};

/** What the read-back found beyond its count: closeness to old data, and the ciphertext tests. */
function readBackSentences(e: EvidenceReader): string[] {
  const out: string[] = [];
  const near = e.num('nearPreEraseBlocks');
  const sketch = e.record('sketch');
  if (near !== undefined) {
    out.push(
      `${count(near, 'sampled block')} equal or nearly equal to data from before the erase${sketch ? ` (keyed sketches of ${plain(sketch.bits)} bits, nearly equal under ${plain(sketch.nearBelow)} bits apart)` : ''}.`,
    );
  }
  const r = e.record('randomness');
  if (r) {
    out.push(
      `Ciphertext tests on the whole sample ${r.passed === true ? 'passed' : 'failed'}: byte-class chi-square ${plain(r.chiSquare)} (limit ${plain(r.chiSquareLimit)}), runs z ${plain(r.runsZ)} (limit ${plain(r.runsZLimit)}).`,
    );
  }
  return out;
}

/** The step's evidence in sentences; a step that was not attempted says why. */
export function evidenceSentences(step: StepRecord): string[] {
  const e = new EvidenceReader(step.evidence);
  if (e.bool('attempted') === false) return [`Not attempted: ${e.text('reason')}.`, ...e.rest()];
  if (Object.keys(step.evidence).length === 0) return ['Nothing was measured.'];
  const render = RENDERERS[step.step];
  let sentences: string[] = [];
  try {
    sentences = render ? render(e) : [];
  } catch {
    // A renderer that meets a shape it does not expect leaves everything to the generic sentences.
    return new EvidenceReader(step.evidence).rest();
  }
  const link = e.record('link');
  return [...sentences, ...(link ? [linkSentence(link)] : []), ...e.rest()];
}

function queue(q: Record<string, unknown>): string {
  const totals = Array.isArray(q.totals) ? q.totals.map(money).join(', ') : '';
  return q.count === 0
    ? 'no payments queued'
    : `${plain(q.count)} payments queued${totals ? `, ${totals}` : ''}`;
}

/** The PCI scan of a backup (wipe/pci/): counts and offsets, never a digit of what it found. */
function pciSentences(pci: Record<string, unknown> | undefined): string[] {
  if (!pci || pci.scanned === false) return [];
  const pan = isRecord(pci.clearPan) ? pci.clearPan : {};
  const track = isRecord(pci.trackData) ? pci.trackData : {};
  if (pan.count === 0 && track.count === 0)
    return [`PCI scan of ${plain(pci.scannedBytes)} bytes: no card data found.`];
  const clauses = Array.isArray(pci.clauses) ? pci.clauses.join(', ') : '';
  return [
    `PCI finding (PCI DSS ${clauses}): ${plain(pan.count)} clear PANs (${plain(pan.ascii)} ASCII, ${plain(pan.bcd)} BCD) and ${plain(track.count)} track data records (track 1 ${plain(track.track1)}, track 2 ${plain(track.track2Ascii)} ASCII and ${plain(track.track2Bcd)} BCD) in ${plain(pci.scannedBytes)} bytes.`,
    `First offsets: PANs ${plain(pan.offsets)}; track data ${plain(track.offsets)}.`,
  ];
}

/** What the link dropped and resent while the step ran (SPEC.md s.2.3). */
function linkSentence(l: Record<string, unknown>): string {
  const parts = Object.entries(l)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([k, n]) => `${plain(n)} ${words(k)}`);
  return parts.length === 0
    ? 'The link dropped nothing.'
    : `The link dropped or resent: ${parts.join(', ')}.`;
}

function batch(b: Record<string, unknown>): string {
  if (b.open !== true) return 'no batch open';
  const totals = Array.isArray(b.totals) ? b.totals.map(money).join(', ') : '';
  return `a batch open with ${plain(b.count)} transactions${totals ? `, totals ${totals}` : ''}`;
}

function links(l: Record<string, unknown> | undefined): string {
  if (!l) return 'not reported';
  const parts = Object.entries(l).map(([k, v]) => `${k} ${plain(v)}`);
  return parts.length === 0 ? 'none reported' : parts.join(', ');
}

function slots(list: unknown[] | undefined): string {
  if (!list || list.length === 0) return 'no slots reported';
  if (list.every((s) => isRecord(s) && s.kcv === null)) return `all ${count(list.length, 'slot')} empty`;
  return list
    .map((s) =>
      isRecord(s)
        ? `slot ${plain(s.slot)} ${plain(s.type)} ${s.kcv === null ? 'empty' : plain(s.kcv)}`
        : plain(s),
    )
    .join(', ');
}
