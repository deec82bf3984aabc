/**
 * The report in a real browser: headless Chromium opens the file:// page, and nothing is fetched
 * from anywhere else, nothing is logged as an error, every chart has a size, no script or event
 * handler exists in the DOM, and the page prints to PDF.
 *
 * It needs Chromium: env IRLENS_CHROMIUM, else `chromium` (Debian's package) or `chromium-browser`
 * on the PATH. Without one the test reports itself skipped, except in CI (CI=true, where .ci/run
 * installs it), where it fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { renderReport } from '../../src/report/index.js';
import { temporaryDir } from '../pipeline/helpers.js';
import { HOSTILE_TEXT, writeFixtureRun } from './fixture.js';

/** The Chromium to drive, or why there is none; throws when one is required and missing. */
function findChromium(): { path: string } | { skip: string } {
  const named = process.env.IRLENS_CHROMIUM;
  const candidates = named ? [named] : ['chromium', 'chromium-browser'];
  for (const candidate of candidates) {
    const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', candidate], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim() !== '') return { path: found.stdout.trim() };
  }
  const missing = `no Chromium (tried ${candidates.join(', ')})`;
  if (named || process.env.CI === 'true') {
    throw new Error(`${missing}, and ${named ? 'IRLENS_CHROMIUM names it' : 'CI=true requires it'}: install it (apt-get install chromium) or point IRLENS_CHROMIUM at one`);
  }
  return { skip: `${missing}; install Debian's chromium or set IRLENS_CHROMIUM to run this test` };
}

test('the report opens in headless Chromium with nothing fetched, no errors, sized charts, and prints', async (t) => {
  const browserPath = findChromium();
  if ('skip' in browserPath) return t.skip(browserPath.skip);

  const dir = temporaryDir();
  const file = join(dir, 'report.html');
  writeFileSync(file, (await renderReport(writeFixtureRun(dir, { reuse: true }))).html);

  // Root (as in CI) cannot use Chromium's sandbox.
  const browser = await chromium.launch({ executablePath: browserPath.path, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    assert.deepEqual(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:')), [], 'requests that left the file');
    assert.deepEqual(errors, [], 'errors in the console');
    const dom = await page.evaluate(() => ({
      scripts: document.querySelectorAll('script, img, iframe, object, embed, link').length,
      handlers: [...document.querySelectorAll('*')].filter((element) => [...element.attributes].some((a) => a.name.startsWith('on'))).length,
      charts: [...document.querySelectorAll('figure.chart > svg')].map((svg) => svg.getBoundingClientRect()).map((box) => [box.width, box.height]),
      text: document.body.innerText,
    }));
    assert.equal(dom.scripts, 0, 'script, image or embedded elements');
    assert.equal(dom.handlers, 0, 'elements with event handlers');
    assert.ok(dom.charts.length >= 8, `${dom.charts.length} charts`);
    for (const [width, height] of dom.charts) assert.ok(width! > 50 && height! > 50, `a chart of ${width} × ${height}`);
    assert.ok(dom.text.includes(`A hostile prompt ${HOSTILE_TEXT}`), 'the hostile prompt reads as text');

    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    assert.ok(pdf.length > 20_000, `a PDF of ${pdf.length} bytes`);
  } finally {
    await browser.close();
  }
});
