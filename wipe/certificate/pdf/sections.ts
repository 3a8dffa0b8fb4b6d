import type { WipeCertificate } from '../model.js';
import {
  BAND_HEIGHT,
  COLOURS,
  command,
  FONT,
  GREY,
  PAGE,
  WIDTH,
  paragraph,
  pairs,
  section,
  signatureFields,
  type Doc,
} from './layout.js';

/** The certificate's blocks after NIST SP 800-88 Appendix G, in the order a reader needs them. */

import { SIMULATED_BAND } from '../simulated.js';

export { SIMULATED_BAND };

const orNot = (v: string | null | undefined) => v ?? 'not recorded';

export function deviceBlocks(doc: Doc, cert: WipeCertificate): void {
  const d = cert.device;
  const p = cert.performedBy;
  const w = cert.workOrder;
  section(doc, 'Media information');
  pairs(doc, [
    ['Make / model', `${d.vendor} ${d.model}`],
    ['Serial number', d.serial],
    ['Firmware', d.firmware],
    ['Media property number', orNot(d.assetTag)],
    ['Media type', d.stores.map((s) => `${s.name}: ${s.media}`).join(', ') || 'no stores reported'],
    ['Location', orNot(d.location)],
    ['Source', orNot(d.source)],
    ['Classification', orNot(d.classification)],
    ['TID / MID before', `${d.tidBefore ?? 'none'} / ${d.midBefore ?? 'none'}`],
    ['TID / MID after', `${d.tidAfter ?? 'none'} / ${d.midAfter ?? 'none'}`],
    ['Reached over', `${d.transport}, ${d.protocol}`],
    ['Terminal', d.simulated ? `simulated: ${SIMULATED_BAND.toLowerCase()}` : 'a device'],
  ]);
  section(doc, 'Work order and destination');
  pairs(doc, [
    ['Work order', w.id],
    ['Reason', w.reason],
    ['Owner', w.owner],
    ['Authorization', w.authorizationRef],
    ['Media destination', `${cert.destination.category} (${cert.destination.kind})`],
    ['Destination details', orNot(cert.destination.details)],
  ]);
  section(doc, 'Person performing sanitization');
  pairs(doc, [
    ['Name', p.name],
    ['Title', orNot(p.title)],
    ['Organisation', p.organisation],
    ['Location', orNot(p.location)],
    ['Phone', orNot(p.phone)],
    ['Contact', p.contact],
  ]);
}

export function sanitizationBlock(doc: Doc, cert: WipeCertificate): void {
  const s = cert.sanitization;
  section(doc, 'Sanitization details (NIST SP 800-88)');
  pairs(doc, [
    ['Method type', s.methodType === 'None' ? 'not sanitized (see the stores)' : s.methodType],
    ['Method used', s.methodUsed],
    ['Tool used', `${cert.tool.name} ${cert.tool.version}`],
    ['Verification method', s.verificationMethod],
    ['Post-sanitization classification', orNot(s.postSanitizationClassification)],
    ['Result', s.result],
  ]);
  for (const st of s.stores) {
    const passes = st.passes === null ? '' : `, ${st.passes} pass${st.passes === 1 ? '' : 'es'}`;
    const verified =
      st.verification === null ? 'not verified' : `${st.verification}${st.readBack ? ' read-back' : ''}`;
    paragraph(
      doc,
      `${st.store} (${st.media}): ${st.method ?? 'no erase'}${passes}, ${st.nistMethod}; verification ${verified}; ${st.result}. ` +
        `Method type ${st.methodType === 'None' ? 'none' : st.methodType}: ${st.reason}.`,
      { size: 8, indent: 6 },
    );
  }
  section(doc, 'Backup');
  pairs(doc, [
    ['Data backed up', cert.backup.dataBackedUp],
    ['Backup location', orNot(cert.backup.location)],
    ['Manifest SHA-256', cert.backup.manifestSha256 ?? 'none'],
  ]);
}

export function closingBlocks(doc: Doc, cert: WipeCertificate, jsonSha256: string): void {
  section(doc, 'Bound files');
  pairs(doc, [
    ['Journal SHA-256', cert.boundFiles.journalSha256],
    ['Audit log SHA-256', cert.boundFiles.auditLogSha256],
    ['Transcript SHA-256', cert.boundFiles.transcriptSha256 ?? 'none recorded'],
  ]);
  section(doc, 'PCI DSS');
  const poi = cert.pciDss.poiInventory;
  paragraph(
    doc,
    `9.5.1.1 POI inventory: ${poi.make} ${poi.model}, serial ${poi.serialNumber}, location ${poi.location ?? 'not recorded'}: ${poi.status}.`,
  );
  paragraph(doc, `9.4.7 ${cert.pciDss.mediaDestruction.statement}`);
  section(doc, 'Signature');
  paragraph(doc, cert.attestation);
  paragraph(doc, `Signed digitally in certificate.p7s (CMS, SHA-256) by ${cert.performedBy.signerSubject}.`, {
    size: 8,
    colour: GREY,
  });
  section(doc, 'How to verify this certificate');
  paragraph(
    doc,
    'This PDF is a readable copy. The record is certificate.json, signed in certificate.p7s; ca.crt.pem is the ' +
      "organisation's CA certificate. With posdecom:",
    { size: 8 },
  );
  command(doc, 'posdecom verify certificate.json --ca ca.crt.pem');
  paragraph(doc, 'Without posdecom, with openssl:', { size: 8 });
  command(
    doc,
    'openssl cms -verify -binary -inform DER -in certificate.p7s -content certificate.json -CAfile ca.crt.pem -out /dev/null',
  );
  paragraph(
    doc,
    `The QR code holds "${cert.schemaVersion} ${cert.certificateId} sha256:" and the SHA-256 of certificate.json, ` +
      `${jsonSha256}, which sha256sum certificate.json must print too.`,
    { size: 8 },
  );
  section(doc, 'Validation (a second person, NIST SP 800-88 rev.2 s.4.5)', 200);
  paragraph(doc, `${cert.validation} Or by hand:`, { size: 8, colour: GREY });
  signatureFields(doc, [
    'Name',
    'Title',
    'Organisation',
    'Location',
    'Phone',
    'Date',
    'Outcome: accepted / not accepted',
    'Signature',
  ]);
  section(doc, 'Hand-over of the device', 160);
  paragraph(doc, `Destination: ${cert.destination.category} (${cert.destination.kind}).`, { size: 8.5 });
  signatureFields(doc, [
    'Handed over by (name)',
    'Received by (name, organisation)',
    'Date and time',
    'Device state at hand-over',
    'Signature',
    'Signature',
  ]);
}

/** On every page: the simulated band at the top, and the certificate id and page number at the foot. */
export function decoratePages(doc: Doc, cert: WipeCertificate): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing into the margins must not start another page.
    const margins = { ...doc.page.margins };
    doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 };
    if (cert.device.simulated) {
      doc.rect(0, 14, PAGE.width, BAND_HEIGHT + 6).fill(COLOURS.FAIL ?? '#b3261e');
      doc
        .font(FONT.bold)
        .fontSize(12)
        .fillColor('#ffffff')
        .text(SIMULATED_BAND, 0, 21, { width: PAGE.width, align: 'center', lineBreak: false });
    }
    doc
      .font(FONT.body)
      .fontSize(7.5)
      .fillColor(GREY)
      .text(
        `Certificate ${cert.certificateId}  ·  page ${i - range.start + 1} of ${range.count}`,
        PAGE.margin,
        PAGE.height - PAGE.margin + 6,
        { width: WIDTH, align: 'center', lineBreak: false },
      );
    doc.page.margins = margins;
  }
}
