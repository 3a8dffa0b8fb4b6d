import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { WipeCertificate } from '../model.js';
import { closingBlocks, decoratePages, deviceBlocks, sanitizationBlock, SIMULATED_BAND } from './sections.js';
import {
  BAND_HEIGHT,
  COLOURS,
  FONT,
  FOOTER_ROOM,
  GREY,
  PAGE,
  WIDTH,
  paragraph,
  registerFonts,
  writeText,
  section,
} from './layout.js';
import { drawSteps } from './steps.js';

/**
 * The human copy of the certificate: the same facts as certificate.json, laid out after
 * NIST SP 800-88 Appendix G, with the overall result impossible to miss, how to verify it, an
 * empty validation box for a second person and a hand-over block. The PDF is not signed
 * itself; its QR code carries the certificate id and the SHA-256 of certificate.json, which
 * is what the signature covers. PDF/A-2b as far as pdfkit makes it (embedded fonts, XMP
 * metadata, an sRGB output intent).
 */

/** What the QR code holds (README: The certificate PDF). */
export function qrContent(cert: WipeCertificate, jsonSha256: string): string {
  return `${cert.schemaVersion} ${cert.certificateId} sha256:${jsonSha256}`;
}

export async function renderCertificatePdf(cert: WipeCertificate, jsonSha256: string): Promise<Buffer> {
  const qr = await QRCode.toBuffer(qrContent(cert, jsonSha256), {
    type: 'png',
    errorCorrectionLevel: 'M',
    margin: 1,
    scale: 4,
  });
  const top = PAGE.margin + (cert.device.simulated ? BAND_HEIGHT : 0);
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top, left: PAGE.margin, right: PAGE.margin, bottom: PAGE.margin + FOOTER_ROOM },
    bufferPages: true,
    pdfVersion: '1.7',
    subset: 'PDF/A-2b',
    lang: 'en',
    displayTitle: true,
    // No standard-14 default font: every font in the file is the embedded DejaVu Sans.
    font: '',
    info: {
      Title: `Certificate of Sanitization ${cert.certificateId}`,
      Author: `${cert.tool.name} ${cert.tool.version}`,
      Subject: `${cert.device.vendor} ${cert.device.model} ${cert.device.serial}${cert.device.simulated ? ` (${SIMULATED_BAND})` : ''}`,
      CreationDate: new Date(cert.issuedAt),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  registerFonts(doc);
  doc.font(FONT.body);

  header(doc, cert, qr, jsonSha256);
  deviceBlocks(doc, cert);
  sanitizationBlock(doc, cert);
  section(doc, 'Steps');
  drawSteps(doc, cert.steps);
  closingBlocks(doc, cert, jsonSha256);
  decoratePages(doc, cert);
  doc.end();
  return done;
}

function header(doc: PDFKit.PDFDocument, cert: WipeCertificate, qr: Buffer, sha: string): void {
  const qrSize = 92;
  const top = doc.page.margins.top;
  doc.image(qr, PAGE.margin + WIDTH - qrSize, top - 10, { width: qrSize });
  const textWidth = WIDTH - qrSize - 10;
  doc.font(FONT.bold).fontSize(18).fillColor('#000000');
  doc.y = top;
  writeText(doc, 'Certificate of Sanitization', PAGE.margin, textWidth);
  doc.font(FONT.body).fontSize(9).fillColor(GREY);
  writeText(doc, 'Payment terminal decommissioning (NIST SP 800-88, PCI DSS)', PAGE.margin, textWidth);
  writeText(doc, `Certificate ${cert.certificateId}`, PAGE.margin, textWidth);
  writeText(
    doc,
    `Issued ${cert.issuedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} by ${cert.tool.name} ${cert.tool.version}`,
    PAGE.margin,
    textWidth,
  );
  doc.fontSize(6.5);
  writeText(doc, `SHA-256 of certificate.json: ${sha}`, PAGE.margin, textWidth);
  doc.moveDown(0.8);
  const r = cert.overall.result;
  const y = Math.max(doc.y, top + qrSize - 4);
  doc.rect(PAGE.margin, y, WIDTH, 34).fill(COLOURS[r] ?? '#000000');
  doc
    .font(FONT.bold)
    .fontSize(20)
    .fillColor('#ffffff')
    .text(`OVERALL RESULT: ${r}`, PAGE.margin + 12, y + 7, { width: WIDTH - 24 });
  doc.y = y + 40;
  doc.x = PAGE.margin;
  for (const reason of cert.overall.reasons) paragraph(doc, `• ${reason}`, { size: 8.5, colour: COLOURS[r] });
  for (const finding of cert.overall.findings)
    paragraph(doc, `• Finding: ${finding}`, { size: 8.5, colour: COLOURS.WARN });
}
