/**
 * The estate page's stylesheet and script, inlined into the one HTML file (html.ts) and
 * allowed by hash in its Content-Security-Policy: the page loads nothing and sends nothing.
 * The script sorts the table by a column (click its header, again to reverse; results sort
 * worst first) and filters it by result and by text; the table is complete without it.
 */

export const PAGE_STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.meta { color: #555; margin: 0 0 1rem; }
table { border-collapse: collapse; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.PASS { color: #1b5e20; } .INCOMPLETE { color: #8a6100; } .FAIL { color: #b71c1c; }
.NOT-VERIFIABLE { color: #424242; font-style: italic; }
#rows { width: 100%; font-size: 13px; }
#rows th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; }
#rows th[aria-sort="ascending"] button::after { content: " \\25B2"; }
#rows th[aria-sort="descending"] button::after { content: " \\25BC"; }
.controls { display: flex; gap: .75rem; align-items: center; margin-bottom: .5rem; }
.controls input { min-width: 18rem; }
.table-wrap { overflow-x: auto; }
#rows td { white-space: nowrap; }
#rows td.problem { white-space: normal; min-width: 22rem; }
svg text { font: 12px system-ui, sans-serif; }
`;

export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var table = document.getElementById('rows');
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var filter = document.getElementById('filter');
  var status = document.getElementById('status-filter');
  var shown = document.getElementById('shown');
  var order = rows.map(function (_, i) { return i; });

  function apply() {
    var needle = filter.value.trim().toLowerCase();
    var wanted = status.value;
    var count = 0;
    order.forEach(function (i) {
      var r = rows[i];
      var visible = (!wanted || r.getAttribute('data-status') === wanted) &&
        (!needle || text[i].indexOf(needle) !== -1);
      r.hidden = !visible;
      if (visible) count++;
    });
    shown.textContent = count + ' of ' + rows.length + ' shown';
  }

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  function key(cell) { return cell.getAttribute('data-sort') || cell.textContent; }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
    th.querySelector('button').addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.setAttribute('aria-sort', 'none');
      });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      order.sort(function (a, b) {
        var x = key(rows[a].cells[column]), y = key(rows[b].cells[column]);
        return (ascending ? 1 : -1) * collator.compare(x, y) || a - b;
      });
      var fragment = document.createDocumentFragment();
      order.forEach(function (i) { fragment.appendChild(rows[i]); });
      body.appendChild(fragment);
    });
  });
  filter.addEventListener('input', apply);
  status.addEventListener('change', apply);
  apply();
})();
`;
