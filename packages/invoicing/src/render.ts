import PDFDocument from 'pdfkit';
import type { InvoiceKind } from '@supergraph/contracts';
import { oneLine } from '@supergraph/runtime';
import type { TaxedInvoice } from './gst.js';
import type { IndianState } from './states.js';
import { amountInWords, formatRupees } from './words.js';

/** The seller as every invoice names it (from configuration). */
export interface SellerDetails {
  name: string;
  /** Address lines, printed one under another. */
  address: string[];
  gstin: string;
  state: IndianState;
}

/** Everything one document shows; rendering adds nothing that is not here, so a re-render is the same document. */
export interface InvoiceDocument {
  kind: InvoiceKind;
  number: string;
  issuedAt: Date;
  orderId: string;
  orderedAt: Date;
  seller: SellerDetails;
  buyer: { name: string; city: string | null };
  placeOfSupply: IndianState;
  taxes: TaxedInvoice;
  /** For a credit note: the invoice it reverses. */
  original: { number: string; issuedAt: Date } | null;
}

const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;

/** A date as Indian invoices write it, in Indian time: 05-12-2026. */
export function formatIndianDate(at: Date): string {
  const ist = new Date(at.getTime() + IST_OFFSET_MS);
  const dd = String(ist.getUTCDate()).padStart(2, '0');
  const mm = String(ist.getUTCMonth() + 1).padStart(2, '0');
  return `${dd}-${mm}-${ist.getUTCFullYear()}`;
}

// The built-in PDF fonts carry no rupee sign; "Rs." is what they can print.
const rs = (paise: number) => `Rs. ${formatRupees(paise)}`;

const PAGE_MARGIN = 40;

interface Column {
  title: string;
  width: number;
  align: 'left' | 'right';
}

/** Renders a tax invoice or credit note as a PDF (A4, the PDF standard fonts: nothing to embed). */
export function renderInvoicePdf(document: InvoiceDocument): Promise<Buffer> {
  const title = document.kind === 'INVOICE' ? 'TAX INVOICE' : 'CREDIT NOTE';
  const pdf = new PDFDocument({
    size: 'A4',
    margin: PAGE_MARGIN,
    // Fixed dates keep a re-render byte-for-byte the same document as the first one.
    info: {
      Title: `${title} ${document.number}`,
      Author: document.seller.name,
      CreationDate: document.issuedAt,
      ModDate: document.issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  const left = PAGE_MARGIN;
  const width = pdf.page.width - 2 * PAGE_MARGIN;
  const { taxes, seller } = document;
  const utgst = taxes.intraState && document.placeOfSupply.utgst;
  const stateTaxName = utgst ? 'UTGST' : 'SGST';

  pdf.font('Helvetica-Bold').fontSize(16).text(title, left, PAGE_MARGIN, { width, align: 'center' });
  pdf.moveDown(0.5);

  const top = pdf.y;
  const half = width / 2 - 10;
  pdf.font('Helvetica-Bold').fontSize(11).text(seller.name, left, top, { width: half });
  pdf.font('Helvetica').fontSize(9);
  for (const line of seller.address) pdf.text(line, { width: half });
  pdf.text(`GSTIN: ${seller.gstin}`, { width: half });
  pdf.text(`State: ${seller.state.name} (${seller.state.code})`, { width: half });
  const sellerBottom = pdf.y;

  const right = left + width / 2 + 10;
  pdf.font('Helvetica').fontSize(9);
  pdf.text(`${document.kind === 'INVOICE' ? 'Invoice' : 'Credit note'} No.: ${document.number}`, right, top, { width: half });
  pdf.text(`Date: ${formatIndianDate(document.issuedAt)}`, { width: half });
  pdf.text(`Order: ${document.orderId}`, { width: half });
  pdf.text(`Order date: ${formatIndianDate(document.orderedAt)}`, { width: half });
  if (document.original) {
    pdf.text(`Against invoice: ${document.original.number} dated ${formatIndianDate(document.original.issuedAt)}`, { width: half });
  }
  pdf.y = Math.max(sellerBottom, pdf.y) + 12;

  pdf.font('Helvetica-Bold').fontSize(10).text('Bill to', left, pdf.y, { width });
  pdf.font('Helvetica').fontSize(9);
  // One line whatever was stored: the services refuse breaks on input, but not always did.
  pdf.text(oneLine(document.buyer.name), { width });
  if (document.buyer.city) pdf.text(oneLine(document.buyer.city), { width });
  pdf.text(`Place of supply: ${document.placeOfSupply.name} (${document.placeOfSupply.code})`, { width });
  pdf.moveDown(1);

  const taxColumns: Column[] = taxes.intraState
    ? [
        { title: 'CGST', width: 55, align: 'right' },
        { title: stateTaxName, width: 55, align: 'right' },
      ]
    : [{ title: 'IGST', width: 110, align: 'right' }];
  const columns: Column[] = [
    { title: '#', width: 18, align: 'left' },
    { title: 'Item', width: 0, align: 'left' },
    { title: 'Qty', width: 32, align: 'right' },
    { title: 'Unit price', width: 62, align: 'right' },
    { title: 'Taxable value', width: 70, align: 'right' },
    { title: 'GST %', width: 34, align: 'right' },
    ...taxColumns,
    { title: 'Amount', width: 66, align: 'right' },
  ];
  // The item column takes whatever the others leave.
  columns[1].width = width - columns.reduce((sum, column) => sum + column.width, 0);

  const row = (cells: string[], bold = false) => {
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
    const height = Math.max(...cells.map((cell, i) => pdf.heightOfString(cell, { width: columns[i].width - 4 })));
    if (pdf.y + height > pdf.page.height - PAGE_MARGIN - 20) {
      pdf.addPage();
      pdf.y = PAGE_MARGIN;
    }
    const y = pdf.y;
    let x = left;
    cells.forEach((cell, i) => {
      pdf.text(cell, x + 2, y, { width: columns[i].width - 4, align: columns[i].align });
      x += columns[i].width;
    });
    pdf.y = y + height + 4;
    pdf
      .moveTo(left, pdf.y - 2)
      .lineTo(left + width, pdf.y - 2)
      .lineWidth(0.3)
      .stroke();
  };

  row(
    columns.map((column) => column.title),
    true,
  );
  taxes.lines.forEach((line, index) => {
    const lineTaxes = taxes.intraState ? [formatRupees(line.cgstPaise), formatRupees(line.sgstPaise)] : [formatRupees(line.igstPaise)];
    row([
      String(index + 1),
      oneLine(line.name),
      String(line.quantity),
      formatRupees(line.unitPricePaise),
      formatRupees(line.taxablePaise),
      `${line.gstRatePercent}%`,
      ...lineTaxes,
      formatRupees(line.grossPaise),
    ]);
  });

  // Totals, words and the note stay together on one page.
  if (pdf.y + 170 > pdf.page.height - PAGE_MARGIN) {
    pdf.addPage();
    pdf.y = PAGE_MARGIN;
  }
  pdf.moveDown(0.5);
  const totals: [string, string][] = [
    ['Taxable value', rs(taxes.taxablePaise)],
    ...(taxes.intraState
      ? ([
          ['CGST', rs(taxes.cgstPaise)],
          [stateTaxName, rs(taxes.sgstPaise)],
        ] as [string, string][])
      : ([['IGST', rs(taxes.igstPaise)]] as [string, string][])),
    [document.kind === 'INVOICE' ? 'Total (GST included)' : 'Total credited (GST included)', rs(taxes.totalPaise)],
  ];
  const labelWidth = 160;
  const valueWidth = 100;
  for (const [index, [label, value]] of totals.entries()) {
    const last = index === totals.length - 1;
    pdf.font(last ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    const y = pdf.y;
    pdf.text(label, left + width - labelWidth - valueWidth, y, { width: labelWidth, align: 'right' });
    pdf.text(value, left + width - valueWidth, y, { width: valueWidth, align: 'right' });
  }
  pdf.moveDown(1);
  pdf.font('Helvetica-Bold').fontSize(9).text('Amount in words: ', left, pdf.y, { width, continued: true });
  pdf.font('Helvetica').text(amountInWords(taxes.totalPaise));
  pdf.moveDown(1);
  pdf
    .fontSize(7.5)
    .text(
      document.kind === 'INVOICE'
        ? 'Prices include GST. Tax is shown per line, rounded to the paisa. This is a computer-generated invoice and needs no signature.'
        : `This credit note reverses invoice ${document.original?.number ?? ''} in full. This is a computer-generated document and needs no signature.`,
      { width },
    );
  pdf.end();
  return done;
}
