import type { Result, StepRecord } from './model.js';

/**
 * The per-step table of the PDF, plus the text helpers the PDF shares. The PDF uses only the
 * 14 standard PDF fonts (no font files, no network), whose encoding is WinAnsi, so text is
 * reduced to that character set first; anything else would print as garbage.
 */

export const COLOURS: Record<Result, string> = {
  PASS: '#1b7f3b',
  WARN: '#b26a00',
  FAIL: '#b3261e',
  UNKNOWN: '#5f6368',
};

const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

export function pdfText(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFC')) {
    const c = ch.codePointAt(0) ?? 0;
    const ok = (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch);
    out += ok ? ch : ch === '\n' ? ' ' : '?';
  }
  return out;
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** "journal=ok; totals=[2 items]; kcvAfter=null" - enough to recognise what was measured. */
export function shortEvidence(evidence: Record<string, unknown>, max = 150): string {
  const parts = Object.entries(evidence).map(([k, v]) => `${k}=${shortValue(v)}`);
  return truncate(parts.length === 0 ? '(no evidence)' : parts.join('; '), max);
}

function shortValue(v: unknown): string {
  // A digest is recognised by its first hex digits; the full value is in certificate.json.
  if (typeof v === 'string' && /^[0-9a-f]{40,}$/i.test(v)) return `${v.slice(0, 12)}…`;
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? truncate(v, 40) : String(v);
  if (Array.isArray(v)) {
    const simple = v.every((x) => x === null || typeof x !== 'object');
    const joined = v.map(String).join(',');
    return simple && joined.length <= 40 ? `[${joined}]` : `[${v.length} items]`;
  }
  return truncate(JSON.stringify(v), 40);
}

export function clock(iso: string): string {
  return iso.slice(11, 19);
}

export function duration(s: StepRecord): string {
  const ms = Date.parse(s.endedAt) - Date.parse(s.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '?';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

interface Column {
  title: string;
  width: number;
  cell: (s: StepRecord) => string;
}

const COLUMNS: Column[] = [
  { title: 'Step', width: 92, cell: (s) => s.step },
  { title: 'Target', width: 62, cell: (s) => s.target ?? '' },
  { title: 'Result', width: 50, cell: (s) => s.result },
  { title: 'Started', width: 46, cell: (s) => clock(s.startedAt) },
  { title: 'Took', width: 40, cell: (s) => duration(s) },
  { title: 'Evidence', width: 205, cell: (s) => shortEvidence(s.evidence) + (s.note ? ` (${s.note})` : '') },
];

/** Draws the table from doc.y, repeating the header on each new page. */
export function drawStepTable(doc: PDFKit.PDFDocument, steps: StepRecord[]): void {
  const left = doc.page.margins.left;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const header = () => {
    let x = left;
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(8).fillColor('#000000');
    for (const c of COLUMNS) {
      doc.text(c.title, x, y, { width: c.width - 4 });
      x += c.width;
    }
    doc
      .moveTo(left, doc.y + 2)
      .lineTo(x, doc.y + 2)
      .strokeColor('#999999')
      .lineWidth(0.5)
      .stroke();
    doc.y += 5;
  };
  header();
  for (const s of steps) {
    doc.font('Helvetica').fontSize(8);
    const cells = COLUMNS.map((c) => pdfText(c.cell(s)));
    const height = Math.max(
      ...cells.map((t, i) => doc.heightOfString(t, { width: (COLUMNS[i]?.width ?? 0) - 4 })),
    );
    if (doc.y + height + 4 > bottom()) {
      doc.addPage();
      header();
    }
    const y = doc.y;
    let x = left;
    cells.forEach((text, i) => {
      const col = COLUMNS[i] as Column;
      const isResult = col.title === 'Result';
      doc
        .font(isResult ? 'Helvetica-Bold' : 'Helvetica')
        .fillColor(isResult ? COLOURS[s.result] : '#000000')
        .text(text, x, y, { width: col.width - 4 });
      x += col.width;
    });
    doc.y = y + height + 3;
    doc
      .moveTo(left, doc.y - 1.5)
      .lineTo(x, doc.y - 1.5)
      .strokeColor('#e0e0e0')
      .lineWidth(0.5)
      .stroke();
  }
  doc.x = left;
  doc.fillColor('#000000');
}
