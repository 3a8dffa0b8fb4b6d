import type { StepRecord } from '../model.js';
import { stepLabel } from '../results.js';
import { evidenceSentences } from './evidence.js';
import { COLOURS, FONT, GREY, PAGE, WIDTH, ensureSpace, heightOf, writeText, type Doc } from './layout.js';

/**
 * The steps, one block each: a heading line (step and target, result, start and duration),
 * then what was measured in sentences across the full width, the note, and the technician's
 * attestation with the digests of its evidence files.
 */

export function clock(iso: string): string {
  return iso.slice(11, 19);
}

export function duration(s: StepRecord): string {
  const ms = Date.parse(s.endedAt) - Date.parse(s.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '?';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What the block under a step's heading says, in order. */
export function stepParagraphs(s: StepRecord): { text: string; colour?: string }[] {
  const out: { text: string; colour?: string }[] = [{ text: evidenceSentences(s).join(' ') }];
  if (s.note) out.push({ text: `Note: ${s.note}.`, colour: GREY });
  const a = s.attestation;
  if (a) {
    out.push({
      text: `Attested by the technician for ${a.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}: ${a.statement}`,
      colour: COLOURS.ATTESTED,
    });
    for (const f of a.evidence) {
      out.push({
        text: `Evidence file ${f.name} (${f.size} bytes, kept as ${f.path}), SHA-256 ${f.sha256}.`,
        colour: COLOURS.ATTESTED,
      });
    }
  }
  return out;
}

export function drawSteps(doc: Doc, steps: StepRecord[]): void {
  const indent = 14;
  for (const s of steps) {
    const paragraphs = stepParagraphs(s);
    doc.font(FONT.body).fontSize(8);
    const first = paragraphs[0] ? heightOf(doc, paragraphs[0].text, WIDTH - indent) : 0;
    // Keep a step's heading with at least its first paragraph.
    ensureSpace(doc, 14 + Math.min(first, 60));
    const y = doc.y;
    doc.font(FONT.bold).fontSize(9).fillColor('#000000');
    writeText(doc, stepLabel(s), PAGE.margin, 260);
    doc.y = y;
    doc.fillColor(COLOURS[s.result] ?? '#000000');
    writeText(doc, s.result, PAGE.margin + 265, 70);
    doc.y = y + 1;
    doc.font(FONT.body).fontSize(8).fillColor(GREY);
    writeText(doc, `${clock(s.startedAt)} UTC, took ${duration(s)}`, PAGE.margin + 340, WIDTH - 340, 'right');
    doc.y = Math.max(doc.y, y + 12);
    for (const p of paragraphs) {
      doc.font(FONT.body).fontSize(8);
      ensureSpace(doc, Math.min(heightOf(doc, p.text, WIDTH - indent), 30));
      doc.fillColor(p.colour ?? '#000000');
      writeText(doc, p.text, PAGE.margin + indent, WIDTH - indent);
    }
    doc.y += 3;
    doc
      .moveTo(PAGE.margin, doc.y - 1.5)
      .lineTo(PAGE.margin + WIDTH, doc.y - 1.5)
      .strokeColor('#e0e0e0')
      .lineWidth(0.5)
      .stroke();
    doc.y += 2;
  }
  doc.x = PAGE.margin;
  doc.fillColor('#000000');
}
