import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { WipeCertificate } from './model.js';
import { COLOURS, drawStepTable, pdfText, truncate } from './pdf-steps.js';

/**
 * The human copy of the certificate: the same facts as certificate.json, laid out after
 * NIST SP 800-88 Appendix G, with the overall result impossible to miss and a hand-over block
 * for the person who takes the device away. The PDF is not signed itself; its QR code carries
 * the SHA-256 of certificate.json, which is what the signature covers.
 */

const MARGIN = 50;
const WIDTH = 595.28 - 2 * MARGIN;

export async function renderCertificatePdf(cert: WipeCertificate, jsonSha256: string): Promise<Buffer> {
  const qr = await QRCode.toBuffer(`sha256:${jsonSha256}`, {
    type: 'png',
    errorCorrectionLevel: 'M',
    margin: 1,
    scale: 4,
  });
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: {
      Title: `Wipe certificate ${cert.certificateId}`,
      Author: `${cert.tool.name} ${cert.tool.version}`,
      Subject: `${cert.device.vendor} ${cert.device.model} ${cert.device.serial}`,
      CreationDate: new Date(cert.issuedAt),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  header(doc, cert, qr, jsonSha256);
  facts(doc, cert);
  section(doc, 'Sanitization (NIST SP 800-88)');
  const s = cert.sanitization;
  pairs(doc, [
    ['Method type', s.methodType],
    ['Method used', s.methodUsed],
    ['Verification', s.verificationMethod],
    ['Result', s.result],
    ...(s.postSanitizationClassification
      ? [['Classification', s.postSanitizationClassification] as const]
      : []),
  ]);
  for (const d of s.methodDetails) line(doc, `• ${d}`, 8);
  section(doc, 'Steps');
  drawStepTable(doc, cert.steps);
  section(doc, 'Backup and bound files');
  pairs(doc, [
    ['Backup made', cert.backup.made ? 'yes' : 'no'],
    ['Location', cert.backup.location ?? '-'],
    ['Manifest SHA-256', cert.backup.manifestSha256 ?? '-'],
    ['Journal SHA-256', cert.boundFiles.journalSha256],
    ['Audit log SHA-256', cert.boundFiles.auditLogSha256],
    ['Transcript SHA-256', cert.boundFiles.transcriptSha256 ?? '-'],
  ]);
  section(doc, 'PCI DSS');
  const poi = cert.pciDss.poiInventory;
  line(
    doc,
    `9.5.1.1 POI inventory: ${poi.make} ${poi.model}, serial ${poi.serialNumber}, location ${poi.location ?? 'not recorded'}: ${poi.status}.`,
    9,
  );
  line(doc, `9.4.7 ${cert.pciDss.mediaDestruction.statement}`, 9);
  section(doc, 'Attestation');
  line(doc, cert.attestation, 9);
  line(
    doc,
    `Signed digitally in certificate.p7s (CMS, SHA-256) by ${cert.performedBy.signerSubject}.`,
    8,
    '#444444',
  );
  handOver(doc, cert);
  doc.end();
  return done;
}

function header(doc: PDFKit.PDFDocument, cert: WipeCertificate, qr: Buffer, sha: string): void {
  const qrSize = 92;
  doc.image(qr, MARGIN + WIDTH - qrSize, MARGIN - 10, { width: qrSize });
  doc
    .font('Helvetica-Bold')
    .fontSize(18)
    .fillColor('#000000')
    .text('Certificate of Sanitization', MARGIN, MARGIN, {
      width: WIDTH - qrSize - 10,
    });
  doc.font('Helvetica').fontSize(9).fillColor('#444444');
  doc.text(pdfText(`Payment terminal decommissioning  ·  ${cert.certificateId}`), {
    width: WIDTH - qrSize - 10,
  });
  doc.text(
    pdfText(
      `Issued ${cert.issuedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} by ${cert.tool.name} ${cert.tool.version}`,
    ),
  );
  doc.fontSize(6.5).text(`SHA-256 of certificate.json: ${sha}`, { width: WIDTH - qrSize - 10 });
  doc.moveDown(0.8);
  const r = cert.overall.result;
  const y = Math.max(doc.y, MARGIN + qrSize - 4);
  doc.rect(MARGIN, y, WIDTH, 34).fill(COLOURS[r]);
  doc
    .font('Helvetica-Bold')
    .fontSize(20)
    .fillColor('#ffffff')
    .text(`OVERALL RESULT: ${r}`, MARGIN + 12, y + 8, { width: WIDTH - 24 });
  doc.y = y + 40;
  doc.x = MARGIN;
  const reasons = cert.overall.reasons;
  for (const reason of reasons.slice(0, 8)) line(doc, `• ${reason}`, 8.5, COLOURS[r]);
  if (reasons.length > 8)
    line(doc, `• and ${reasons.length - 8} more (see certificate.json)`, 8.5, COLOURS[r]);
}

function facts(doc: PDFKit.PDFDocument, cert: WipeCertificate): void {
  const d = cert.device;
  const w = cert.workOrder;
  const p = cert.performedBy;
  section(doc, 'Device');
  pairs(doc, [
    ['Make / model', `${d.vendor} ${d.model}`],
    ['Serial number', d.serial],
    ['Firmware', d.firmware],
    ['Asset tag / location', `${d.assetTag ?? '-'} / ${d.location ?? '-'}`],
    ['TID / MID before', `${d.tidBefore ?? '-'} / ${d.midBefore ?? '-'}`],
    ['TID / MID after', `${d.tidAfter ?? '-'} / ${d.midAfter ?? '-'}`],
  ]);
  section(doc, 'Work order');
  pairs(doc, [
    ['Work order', w.id],
    ['Reason', w.reason],
    ['Owner', w.owner],
    ['Authorization', w.authorizationRef],
    ['Destination', w.destination],
  ]);
  section(doc, 'Performed by');
  pairs(doc, [
    ['Name', p.title ? `${p.name}, ${p.title}` : p.name],
    ['Organisation', p.organisation],
    ['Contact', p.contact],
  ]);
}

function handOver(doc: PDFKit.PDFDocument, cert: WipeCertificate): void {
  if (doc.y > doc.page.height - MARGIN - 150) doc.addPage();
  section(doc, 'Hand-over of the device');
  line(doc, `Destination: ${cert.workOrder.destination}`, 9);
  doc.moveDown(0.6);
  const y0 = doc.y;
  const col = WIDTH / 2;
  const field = (label: string, x: number, y: number) => {
    doc
      .moveTo(x, y + 18)
      .lineTo(x + col - 20, y + 18)
      .strokeColor('#000000')
      .lineWidth(0.5)
      .stroke();
    doc
      .font('Helvetica')
      .fontSize(7.5)
      .fillColor('#444444')
      .text(label, x, y + 21, { width: col - 20 });
  };
  field('Handed over by (name)', MARGIN, y0);
  field('Received by (name, organisation)', MARGIN + col, y0);
  field('Date and time', MARGIN, y0 + 40);
  field('Device state at hand-over', MARGIN + col, y0 + 40);
  field('Signature', MARGIN, y0 + 80);
  field('Signature', MARGIN + col, y0 + 80);
  doc.x = MARGIN;
  doc.y = y0 + 115;
}

function section(doc: PDFKit.PDFDocument, title: string): void {
  if (doc.y > doc.page.height - MARGIN - 60) doc.addPage();
  doc.moveDown(0.6);
  doc.font('Helvetica-Bold').fontSize(11).fillColor('#000000').text(title, MARGIN, doc.y, { width: WIDTH });
  doc
    .moveTo(MARGIN, doc.y + 1)
    .lineTo(MARGIN + WIDTH, doc.y + 1)
    .strokeColor('#000000')
    .lineWidth(0.7)
    .stroke();
  doc.y += 4;
}

function pairs(doc: PDFKit.PDFDocument, rows: ReadonlyArray<readonly [string, string]>): void {
  for (const [label, value] of rows) {
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(9).fillColor('#444444').text(label, MARGIN, y, { width: 120 });
    doc
      .font('Helvetica')
      .fillColor('#000000')
      .text(pdfText(truncate(value, 300)), MARGIN + 125, y, { width: WIDTH - 125 });
    doc.y = Math.max(doc.y, y + 11);
  }
  doc.x = MARGIN;
}

function line(doc: PDFKit.PDFDocument, text: string, size: number, colour = '#000000'): void {
  doc.font('Helvetica').fontSize(size).fillColor(colour).text(pdfText(text), MARGIN, doc.y, { width: WIDTH });
}
