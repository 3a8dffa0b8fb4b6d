import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { CERTIFICATE_FILES } from '../certificate/files.js';
import type { Estate, GroupCounts } from './estate.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './html-assets.js';
import { STATUSES, type EstateRow, type EstateStatus } from './row.js';

/**
 * The estate as one self-contained HTML page for an auditor: the summary, a chart of results
 * by model (inline SVG), and the table of every terminal, sortable and filterable, each row
 * linking to its job's certificate.pdf by a path relative to the page. No network, no
 * external asset: a Content-Security-Policy of default-src 'none' lets only the page's own
 * style and script (by hash) run, so the file can be mailed, archived and opened offline.
 * Every text from a certificate is HTML-escaped.
 */

export interface HtmlOptions {
  /** The directory the page is written to: PDF links are relative to it. */
  pageDir: string;
  /** e.g. "posdecom 0.1.0". */
  generator: string;
}

const COLORS: Record<EstateStatus, string> = {
  PASS: '#2e7d32',
  INCOMPLETE: '#f9a825',
  FAIL: '#c62828',
  'NOT VERIFIABLE': '#757575',
};

/** Sorting the Result column ascending puts the worst first. */
const SEVERITY: Record<EstateStatus, number> = { 'NOT VERIFIABLE': 0, FAIL: 1, INCOMPLETE: 2, PASS: 3 };

const COLUMNS: [string, (r: EstateRow) => string][] = [
  ['Result', (r) => r.status],
  ['Overall', (r) => r.overall ?? ''],
  ['Vendor', (r) => r.vendor ?? ''],
  ['Model', (r) => r.model ?? ''],
  ['Serial', (r) => r.serial ?? ''],
  ['TID', (r) => r.tid ?? ''],
  ['Merchant', (r) => r.merchant ?? ''],
  ['Location', (r) => r.location ?? ''],
  ['Work order', (r) => r.workOrderId ?? ''],
  ['Reason', (r) => r.reason ?? ''],
  ['Destination', (r) => r.destination ?? ''],
  ['Decommissioned at', (r) => r.decommissionedAt ?? ''],
  ['Technician', (r) => r.technician ?? ''],
  ['Validation', (r) => (r.validator ? `${r.validator}: ${r.validationOutcome ?? ''}` : '')],
  ['Problem', (r) => r.problem ?? ''],
  ['Duplicate', (r) => (r.duplicateOf.length > 0 ? 'yes' : '')],
  ['Simulated', (r) => (r.simulated ? 'yes' : '')],
];

export function renderHtml(estate: Estate, o: HtmlOptions): string {
  const s = estate.summary;
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  const csp = `default-src 'none'; style-src ${hash(PAGE_STYLE)}; script-src ${hash(PAGE_SCRIPT)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Estate report: ${s.jobs} terminals</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<h1>Estate report</h1>
<p class="meta">${s.jobs} job directories under ${esc(estate.roots.join(', '))}; generated ${esc(estate.generatedAt)} by ${esc(o.generator)}.</p>
<h2>Results</h2>
<table id="counts"><tbody>
${STATUSES.map((st) => `<tr><th class="${cls(st)}">${esc(st)}</th><td class="n" id="count-${cls(st)}">${s.counts[st]}</td></tr>`).join('\n')}
</tbody></table>
<h2>Results by model</h2>
${chart(s.byModel)}
${groupTable('By model', 'by-model', s.byModel)}
${groupTable('By destination', 'by-destination', s.byDestination)}
${duplicates(estate)}
${unreadable(estate)}
<h2>Terminals</h2>
<div class="controls">
<input id="filter" type="search" placeholder="Filter: serial, merchant, problem..." aria-label="Filter the table">
<select id="status-filter" aria-label="Result"><option value="">every result</option>${STATUSES.map((st) => `<option value="${esc(st)}">${esc(st)}</option>`).join('')}</select>
<span id="shown">${estate.rows.length} of ${estate.rows.length} shown</span>
</div>
<div class="table-wrap">
<table id="rows">
<thead><tr>${[...COLUMNS.map(([name]) => name), 'Job'].map((name) => `<th aria-sort="none"><button type="button">${esc(name)}</button></th>`).join('')}</tr></thead>
<tbody>
${estate.rows.map((r) => row(r, o.pageDir)).join('\n')}
</tbody>
</table>
</div>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function row(r: EstateRow, pageDir: string): string {
  const cells = COLUMNS.map(([name, value]) => {
    const text = esc(value(r));
    if (name === 'Result')
      return `<td class="${cls(r.status)}" data-sort="${SEVERITY[r.status]}">${text}</td>`;
    return name === 'Problem' ? `<td class="problem">${text}</td>` : `<td>${text}</td>`;
  });
  const job = r.hasPdf
    ? `<a href="${esc(pdfHref(r.dir, pageDir))}">${esc(r.dir)}</a>`
    : `${esc(r.dir)} (no PDF)`;
  return `<tr data-status="${esc(r.status)}">${cells.join('')}<td>${job}</td></tr>`;
}

/** certificate.pdf relative to the page, each segment URL-encoded ("#" and "?" are path text). */
export function pdfHref(dir: string, pageDir: string): string {
  const path = relative(pageDir, join(dir, CERTIFICATE_FILES.pdf));
  return path.split(sep).map(encodeURIComponent).join('/');
}

/** Horizontal bars, one per model, segments by result; counts as text so nothing hides in colour. */
function chart(groups: GroupCounts[]): string {
  const labelWidth = 200;
  const barWidth = 480;
  const rowHeight = 26;
  const max = Math.max(1, ...groups.map((g) => g.total));
  const bars = groups.map((g, i) => {
    const y = i * rowHeight + 4;
    let x = labelWidth;
    const segments = STATUSES.filter((st) => g.counts[st] > 0).map((st) => {
      const w = (g.counts[st] / max) * barWidth;
      const rect = `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w, 1).toFixed(1)}" height="18" fill="${COLORS[st]}" data-model="${esc(g.name)}" data-status="${esc(st)}" data-count="${g.counts[st]}"><title>${esc(`${g.name}: ${g.counts[st]} ${st}`)}</title></rect>`;
      x += w;
      return rect;
    });
    const label = `<text x="0" y="${y + 14}">${esc(truncate(g.name, 30))}</text>`;
    const total = `<text x="${(x + 6).toFixed(1)}" y="${y + 14}">${g.total}</text>`;
    return label + segments.join('') + total;
  });
  const legend = STATUSES.map((st, i) => {
    const x = labelWidth + i * 120;
    const y = groups.length * rowHeight + 10;
    return `<rect x="${x}" y="${y}" width="12" height="12" fill="${COLORS[st]}"></rect><text x="${x + 16}" y="${y + 11}">${esc(st)}</text>`;
  });
  const height = groups.length * rowHeight + 30;
  return `<svg id="chart-by-model" width="${labelWidth + barWidth + 60}" height="${height}" role="img" aria-label="Results by model">${bars.join('')}${legend.join('')}</svg>`;
}

function groupTable(title: string, id: string, groups: GroupCounts[]): string {
  const head = `<tr><th>${esc(title.replace(/^By /, ''))}</th><th class="n">total</th>${STATUSES.map((st) => `<th class="n">${esc(st)}</th>`).join('')}</tr>`;
  const body = groups.map(
    (g) =>
      `<tr><td>${esc(g.name)}</td><td class="n">${g.total}</td>${STATUSES.map((st) => `<td class="n">${g.counts[st]}</td>`).join('')}</tr>`,
  );
  return `<h2>${esc(title)}</h2>\n<table id="${id}"><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

function duplicates(estate: Estate): string {
  if (estate.duplicates.length === 0) return '';
  const items = estate.duplicates.map((d) => `<li>${esc(d.serial)}: ${esc(d.dirs.join(', '))}</li>`);
  return `<h2>Decommissioned more than once</h2>\n<ul id="duplicates">${items.join('')}</ul>`;
}

function unreadable(estate: Estate): string {
  if (estate.unreadable.length === 0) return '';
  const items = estate.unreadable.map((u) => `<li>${esc(u.path)}: ${esc(u.reason)}</li>`);
  return `<h2>Directories that could not be read</h2>\n<ul id="unreadable">${items.join('')}</ul>`;
}

function cls(status: EstateStatus): string {
  return status.replace(' ', '-');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
