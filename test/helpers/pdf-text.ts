import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/**
 * The text of each page of a PDF as a reader's copy-and-paste would give it, one string per
 * line, read with PDF.js (a second implementation: what pdfkit wrote must come back out).
 */
export async function pdfPages(pdf: Uint8Array): Promise<string[][]> {
  const doc = await getDocument({
    data: new Uint8Array(pdf),
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  }).promise;
  const pages: string[][] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    // Items on one baseline make one line; lines top to bottom.
    const rows = new Map<number, { x: number; w: number; s: string }[]>();
    for (const item of content.items) {
      if (!('str' in item) || item.str === '') continue;
      const y = Math.round(item.transform[5] as number);
      const row = rows.get(y) ?? [];
      row.push({ x: item.transform[4] as number, w: item.width, s: item.str });
      rows.set(y, row);
    }
    const lines = [...rows.entries()]
      .sort(([a], [b]) => b - a)
      .map(([, row]) => {
        row.sort((a, b) => a.x - b.x);
        // A space only where there is a gap: items can split a word where the font's runs change.
        let text = '';
        row.forEach((r, i) => {
          const prev = row[i - 1];
          text += prev && r.x - (prev.x + prev.w) > 1 ? ` ${r.s}` : r.s;
        });
        return text.replace(/\s+/g, ' ').trim();
      });
    pages.push(lines);
  }
  await doc.destroy();
  return pages;
}
