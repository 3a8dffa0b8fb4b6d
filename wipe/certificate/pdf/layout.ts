import { readShipped } from '../shipped.js';

/**
 * The PDF's page geometry, fonts, colours and the few text blocks every section is made of.
 * Text is set in DejaVu Sans, embedded (subset) from the font files shipped in pdf/fonts/, so
 * it is extractable and looks the same everywhere; no standard-14 font is used (PDF/A wants
 * every font embedded). Values wrap at spaces and are never shortened: the full text is what
 * the technician and the auditor read.
 */

export type Doc = PDFKit.PDFDocument;

export const PAGE = { width: 595.28, height: 841.89, margin: 50 } as const;
export const WIDTH = PAGE.width - 2 * PAGE.margin;
/** Room kept at the top of every page for the simulated band, and at the bottom for the footer. */
export const BAND_HEIGHT = 22;
export const FOOTER_ROOM = 24;

export const FONT = { body: 'DejaVuSans', bold: 'DejaVuSans-Bold' } as const;

export const COLOURS: Record<string, string> = {
  PASS: '#1b7f3b',
  WARN: '#9a5b00',
  FAIL: '#b3261e',
  UNKNOWN: '#5f6368',
  ATTESTED: '#6a3fa0',
  INCOMPLETE: '#9a5b00',
};
export const GREY = '#444444';

let fonts: { body: Buffer; bold: Buffer } | undefined;

export function fontFiles(): { body: Buffer; bold: Buffer } {
  fonts ??= {
    body: readShipped('pdf/fonts/DejaVuSans.ttf'),
    bold: readShipped('pdf/fonts/DejaVuSans-Bold.ttf'),
  };
  return fonts;
}

export function registerFonts(doc: Doc): void {
  const f = fontFiles();
  doc.registerFont(FONT.body, f.body);
  doc.registerFont(FONT.bold, f.bold);
}

/** Text as the PDF shows it: NFC, control characters (a hostile terminal's) as spaces. */
export function pdfText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

/**
 * Breaks text into lines at spaces only. pdfkit's own wrapping also breaks after a hyphen
 * (UAX #14), which would split a certificate id, a date or an openssl option across lines;
 * only a single word wider than the whole line is cut, as nothing else can hold it.
 */
export function wrap(doc: Doc, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of pdfText(text).split(/ +/)) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (doc.widthOfString(candidate) <= width) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    let rest = word;
    while (doc.widthOfString(rest) > width && rest.length > 1) {
      let n = rest.length - 1;
      while (n > 1 && doc.widthOfString(rest.slice(0, n)) > width) n--;
      lines.push(rest.slice(0, n));
      rest = rest.slice(n);
    }
    line = rest;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Height of wrapped text in the current font. */
export function heightOf(doc: Doc, text: string, width: number): number {
  return wrap(doc, text, width).length * doc.currentLineHeight(true);
}

/** Writes wrapped text line by line from (x, doc.y), starting a new page where one is full. */
export function writeText(
  doc: Doc,
  text: string,
  x: number,
  width: number,
  align: 'left' | 'right' | 'center' = 'left',
): void {
  const lh = doc.currentLineHeight(true);
  for (const line of wrap(doc, text, width)) {
    if (doc.y + lh > bottom(doc)) {
      doc.addPage();
    }
    const y = doc.y;
    doc.text(line, x, y, { width, align, lineBreak: false });
    doc.y = y + lh;
  }
}

/** Bottom of the writable area of the current page. */
export function bottom(doc: Doc): number {
  return doc.page.height - doc.page.margins.bottom;
}

/** A new page when fewer than `height` points are left. */
export function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > bottom(doc)) {
    doc.addPage();
    doc.x = PAGE.margin;
  }
}

/** A section heading; `keep` is the room its block needs on the same page (a form is not split). */
export function section(doc: Doc, title: string, keep = 60): void {
  ensureSpace(doc, keep);
  doc.moveDown(0.6);
  doc.font(FONT.bold).fontSize(11).fillColor('#000000').text(title, PAGE.margin, doc.y, { width: WIDTH });
  doc
    .moveTo(PAGE.margin, doc.y + 1)
    .lineTo(PAGE.margin + WIDTH, doc.y + 1)
    .strokeColor('#000000')
    .lineWidth(0.7)
    .stroke();
  doc.y += 4;
}

/** Label and value rows; a long value wraps within its column, at spaces only. */
export function pairs(doc: Doc, rows: ReadonlyArray<readonly [string, string]>, labelWidth = 130): void {
  for (const [label, value] of rows) {
    const valueWidth = WIDTH - labelWidth - 5;
    doc.font(FONT.bold).fontSize(8.5);
    const labelHeight = heightOf(doc, label, labelWidth);
    doc.font(FONT.body);
    const height = Math.max(labelHeight, heightOf(doc, value, valueWidth));
    ensureSpace(doc, height);
    const y = doc.y;
    doc.font(FONT.bold).fillColor(GREY);
    writeText(doc, label, PAGE.margin, labelWidth);
    doc.y = y;
    doc.font(FONT.body).fillColor('#000000');
    writeText(doc, value, PAGE.margin + labelWidth + 5, valueWidth);
    doc.y = y + height + 1;
  }
  doc.x = PAGE.margin;
}

export function paragraph(
  doc: Doc,
  text: string,
  o: { size?: number; colour?: string; bold?: boolean; indent?: number } = {},
): void {
  const indent = o.indent ?? 0;
  doc.font(o.bold ? FONT.bold : FONT.body).fontSize(o.size ?? 9);
  const width = WIDTH - indent;
  ensureSpace(doc, Math.min(heightOf(doc, text, width), 40));
  doc.fillColor(o.colour ?? '#000000');
  writeText(doc, text, PAGE.margin + indent, width);
  doc.x = PAGE.margin;
}

/** A command a reader may copy: on one line, in a smaller size if it must be. */
export function command(doc: Doc, text: string): void {
  let size = 7.5;
  doc.font(FONT.body).fontSize(size);
  while (size > 5 && doc.widthOfString(text) > WIDTH - 10) doc.fontSize((size -= 0.25));
  ensureSpace(doc, 12);
  const y = doc.y;
  doc.fillColor('#000000').text(pdfText(text), PAGE.margin + 10, y, { width: WIDTH - 10, lineBreak: false });
  doc.y = y + doc.currentLineHeight(true) + 2;
  doc.x = PAGE.margin;
}

/** Lines to sign on by hand, two to a row. */
export function signatureFields(doc: Doc, labels: string[]): void {
  const col = WIDTH / 2;
  for (let i = 0; i < labels.length; i += 2) {
    ensureSpace(doc, 40);
    const y = doc.y;
    labels.slice(i, i + 2).forEach((label, j) => {
      const x = PAGE.margin + j * col;
      doc
        .moveTo(x, y + 18)
        .lineTo(x + col - 20, y + 18)
        .strokeColor('#000000')
        .lineWidth(0.5)
        .stroke();
      doc
        .font(FONT.body)
        .fontSize(7.5)
        .fillColor(GREY)
        .text(label, x, y + 21, { width: col - 20 });
    });
    doc.x = PAGE.margin;
    doc.y = y + 38;
  }
}
