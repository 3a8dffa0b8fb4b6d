import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Estate } from '../wipe/report/estate.js';
import { runCli } from './helpers/cli.js';
import { makeEstate, ofKind, type TestEstate } from './helpers/estate.js';

/**
 * `report --html` in a real browser: Debian's chromium, headless, driven by playwright-core
 * (.ci/run installs it). The page must render offline, show the counts `--json` gives, sort
 * and filter its table, and link every row to its job's PDF. Where no browser can be had the
 * titles say so and the tests do nothing else (lint forbids skipping).
 */

const CHROMIUM = '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
const NOTE = HAVE_BROWSER ? '' : ` (NOT RUN: no browser at ${CHROMIUM}; .ci/run installs Debian's chromium)`;

let estate: TestEstate;
let expected: Estate;
let context: BrowserContext | undefined;
let page: Page;
const requests: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!HAVE_BROWSER) return;
  estate = await makeEstate('report-html', undefined, { pdf: true });
  const out = join(estate.dir, 'out');
  await mkdir(out);
  const html = join(out, 'estate.html');
  const r = await runCli(['report', estate.root, '--ca', estate.pki.caCertPath, '--html', html, '--json']);
  expected = JSON.parse(r.stdout) as Estate;
  context = await chromium.launchPersistentContext(await mkdtemp(join(estate.dir, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.on('request', (request) => requests.push(request.url()));
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(pathToFileURL(html).href);
}, 120_000);

afterAll(async () => {
  await context?.close();
  await estate?.remove();
});

const visibleRows = () => page.locator('#rows tbody tr:visible').count();
/** The texts of one column (0-based), top to bottom as the page shows them. */
const column = (n: number) => page.locator(`#rows tbody tr td:nth-child(${n + 1})`).allTextContents();

describe('the estate page in a browser', () => {
  it(`renders the summary with the counts --json gives, and a chart bar for every model${NOTE}`, async () => {
    if (!HAVE_BROWSER) return;
    for (const [status, n] of Object.entries(expected.summary.counts)) {
      expect(await page.textContent(`#count-${status.replace(' ', '-')}`), status).toBe(String(n));
    }
    expect(await page.locator('#rows tbody tr').count()).toBe(expected.summary.jobs);
    const bars = await page.$$eval('#chart-by-model rect[data-model]', (rects) =>
      rects.map((r) => [
        r.getAttribute('data-model'),
        r.getAttribute('data-status'),
        Number(r.getAttribute('data-count')),
      ]),
    );
    for (const group of expected.summary.byModel) {
      for (const [status, n] of Object.entries(group.counts)) {
        const bar = bars.find(([m, s]) => m === group.name && s === status);
        expect(bar?.[2] ?? 0, `${group.name} ${status}`).toBe(n);
      }
    }
    expect(await page.textContent('#shown')).toBe(
      `${expected.summary.jobs} of ${expected.summary.jobs} shown`,
    );
    expect(consoleErrors).toEqual([]);
  });

  it(`sorts the table by a column, and the other way round on a second click${NOTE}`, async () => {
    if (!HAVE_BROWSER) return;
    const serial = 4;
    const header = page.locator('#rows thead th').nth(serial);
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    await header.locator('button').click();
    const ascending = await column(serial);
    expect(ascending).toEqual([...ascending].sort(collator.compare));
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    await header.locator('button').click();
    const descending = await column(serial);
    expect(descending).toEqual([...ascending].sort(collator.compare).reverse());
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    // Results sort by severity, not by spelling: the worst first.
    await page.locator('#rows thead th').nth(0).locator('button').click();
    const results = await column(0);
    const rank = ['NOT VERIFIABLE', 'FAIL', 'INCOMPLETE', 'PASS'];
    expect(results.map((r) => rank.indexOf(r))).toEqual(results.map((r) => rank.indexOf(r)).sort());
    expect(results[0]).toBe('NOT VERIFIABLE');
  });

  it(`filters the table by result and by any text in a row${NOTE}`, async () => {
    if (!HAVE_BROWSER) return;
    for (const [status, n] of Object.entries(expected.summary.counts)) {
      await page.selectOption('#status-filter', status);
      expect(await visibleRows(), status).toBe(n);
      expect(await page.textContent('#shown')).toBe(`${n} of ${expected.summary.jobs} shown`);
    }
    await page.selectOption('#status-filter', '');
    const twice = ofKind(estate, 'duplicate')[0]!;
    await page.fill('#filter', twice.serial.toLowerCase());
    expect(await visibleRows()).toBe(2);
    await page.fill('#filter', 'erase-verification (saf)');
    expect(await visibleRows()).toBe(expected.summary.counts.FAIL);
    await page.fill('#filter', '');
    expect(await visibleRows()).toBe(expected.summary.jobs);
  });

  it(`asks the network for nothing and links every row with a PDF to that file${NOTE}`, async () => {
    if (!HAVE_BROWSER) return;
    expect(new Set(requests)).toEqual(new Set([page.url()]));
    const links = (
      await page.locator('#rows tbody a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))
    ).map((href) => new URL(href, page.url()).href);
    expect(links).toHaveLength(expected.rows.filter((r) => r.hasPdf).length);
    for (const href of links) {
      expect(href.startsWith('file://')).toBe(true);
      expect(existsSync(fileURLToPath(href)), href).toBe(true);
      expect(href.endsWith('/certificate.pdf')).toBe(true);
    }
    const html = await page.content();
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
  });
});
