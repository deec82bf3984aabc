/**
 * The report page: one self-contained file (nothing fetched, no script), no text from the run
 * turned into markup, "not run" where a stage is missing, the reuse benchmark when reuse ran, and
 * a summary in words that follows from the numbers.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { escapeHtml, renderReport, SECTIONS, type RenderedPage } from '../../src/report/index.js';
import { temporaryDir } from '../pipeline/helpers.js';
import { HOSTILE_TEXT, HOSTILE_VARIANT, writeFixtureRun } from './fixture.js';

/**
 * Every tag of the page with its quoted attribute values blanked: what the browser reads as
 * markup. (Text and attribute values cannot hold a '<' or a '"' of their own once escaped, so this
 * split is exact for an escaped page.)
 */
function tagsOf(page: string): string[] {
  return (page.match(/<[^>]*>/g) ?? []).map((tag) => tag.replace(/"[^"]*"/g, '""'));
}

/** The text of one section of the page. */
function sectionOf(page: string, id: string): string {
  const start = page.indexOf(`<section id="${id}">`);
  assert.ok(start >= 0, `no section ${id}`);
  return page.slice(start, page.indexOf('</section>', start));
}

let withReuse: RenderedPage;
let withoutReuse: RenderedPage;

before(async () => {
  withReuse = await renderReport(writeFixtureRun(temporaryDir(), { reuse: true }));
  withoutReuse = await renderReport(writeFixtureRun(temporaryDir()));
});

test('the page is self-contained: no URL, no script, nothing to fetch', () => {
  for (const { html } of [withReuse, withoutReuse]) {
    const tags = tagsOf(html);
    const elements = new Set(tags.map((tag) => /^<\/?([a-z][\w-]*)/i.exec(tag)?.[1]?.toLowerCase()));
    for (const element of ['script', 'link', 'iframe', 'object', 'embed', 'img', 'image', 'use', 'foreignobject', 'base', 'form']) assert.ok(!elements.has(element), `a <${element}> in the page`);
    assert.ok(!tags.some((tag) => /https?:|\s(src|srcset|xlink:href|action)\s*=/i.test(tag)), 'a tag that points outside the page');
    for (const [, target] of html.matchAll(/<a href="([^"]*)"/g)) assert.match(target!, /^#/, `a link out of the page: ${target}`);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    assert.ok(!/@import|url\(/i.test(style), 'the style loads something');
    assert.match(style, /@media print/);
    const charts = html.match(/<figure class="chart"><svg /g)?.length ?? 0;
    assert.ok(charts >= 6 && charts === (html.match(/<figure/g) ?? []).length, `${charts} charts drawn as inline SVG`);
  }
});

test('the RLHF and IRL sections say how long each model writes, and that a much shorter expert teaches brevity', () => {
  assert.match(sectionOf(withReuse.html, 'rlhf'), /continuation length \(tokens, eos included\)<\/td><td[^>]*>21\.50<\/td><td[^>]*>7 ± 1\.061/);
  const irl = sectionOf(withReuse.html, 'irl-metrics');
  assert.match(irl, /the expert's 4 continuations average 5 tokens, 0\.250 of them toxic alone; the baseline's 4 continuations average 20 tokens/);
  assert.match(irl, /The expert writes 4× shorter/);
});

test('the IRL section breaks the minimal and look-alike pairs down by where the abusive word sits', () => {
  const irl = sectionOf(withReuse.html, 'irl-metrics');
  assert.match(irl, /by where the abusive word sits/);
  assert.match(irl, /interjection<br><span class="ci">1 sentences<\/span><\/td><td[^>]*>1 \/ 1<\/td><td[^>]*>0\.610 \/ 0\.560<\/td>/);
});

test('text from the run is escaped wherever it appears: prompts, variant names, notes, config', () => {
  const html = withReuse.html;
  assert.ok(!html.includes(HOSTILE_TEXT) && !html.includes(HOSTILE_VARIANT), 'raw hostile text in the page');
  assert.ok(!tagsOf(html).some((tag) => /\son\w+\s*=/i.test(tag)), 'an event handler attribute in the page');
  assert.ok(html.includes(escapeHtml(HOSTILE_VARIANT)), 'the hostile variant is shown, escaped');
  assert.ok(sectionOf(html, 'disagreements').includes(escapeHtml(`A hostile prompt ${HOSTILE_TEXT}`)), 'the hostile prompt is shown, escaped');
  assert.ok(sectionOf(html, 'provenance').includes('alert(\\&quot;prompt\\&quot;)'), 'config.yaml is shown, escaped');
  assert.ok(sectionOf(html, 'irl-metrics').includes('&lt;img src=x onerror=alert(2)&gt;'), 'the chart labels the variant, escaped');
});

test('sections whose stages did not run say so; the reuse sections render when reuse ran', () => {
  const reuseIds = ['reuse-benchmark', 'reuse-curves'];
  assert.deepEqual(withoutReuse.missing, reuseIds.map((section) => ({ section, stages: ['reuse'] })));
  assert.deepEqual(withoutReuse.sections, SECTIONS.map((s) => s.id).filter((id) => !reuseIds.includes(id)));
  for (const id of reuseIds) assert.match(sectionOf(withoutReuse.html, id), /Not run: this run folder has no completed <code>reuse<\/code> stage/);
  assert.match(sectionOf(withoutReuse.html, 'summary'), /<b>Reuse<\/b> \(RLHF of a fresh model with a recovered reward\): not run in this folder/);

  assert.deepEqual(withReuse.missing, []);
  const benchmark = sectionOf(withReuse.html, 'reuse-benchmark');
  for (const policy of ['base', 'ground-truth', 'irl:paper', 'control:random-head']) assert.ok(benchmark.includes(`<td>${policy}</td>`), policy);
  assert.match(benchmark, /0\.280 ± 0\.014/, 'the toxic ratio of irl:paper over its two seeds');
  assert.match(benchmark, /<td class="num">0\.100<\/td><td class="num">\[-0\.300, 0\.500\]<\/td>/, 'the reduction fraction with its interval');
  assert.match(benchmark, /<td class="num">0\.690<\/td>/, 'the comparison’s p-value');
  assert.match(sectionOf(withReuse.html, 'reuse-curves'), /<svg/);
  assert.match(sectionOf(withReuse.html, 'summary'), /<b>irl:paper<\/b> 0\.100 \(95% CI \[-0\.300, 0\.500\]\)/);
});

test('the summary in words follows the numbers: the log-ratio above chance and control, the paper’s variant at chance', () => {
  const summary = sectionOf(withoutReuse.html, 'summary');
  assert.match(summary, /<b>Recovered<\/b> — a reward that ranks the benign look-alike[^<]*<b>log-ratio<\/b> \(0\.870, one run\)/);
  assert.match(summary, /<b>Not recovered<\/b>: <b>paper<\/b> \(0\.530 ± 0\.014; 95% CI \[0\.403, 0\.657\]\): at chance/);
  assert.match(summary, /The paper’s variant \(<b>paper<\/b>[^)]*\) is at chance on look-alike pairs ranked right/);
  assert.match(summary, /<b>RLHF<\/b> against the ground truth made the policy less toxic/);
  assert.ok(!/best seed/i.test(withoutReuse.html), 'the page presents a best seed');
});

test('a run with only its first stage, and one like the Pythia presets’ (no minimal pairs, a named classifier), still render', async () => {
  const early = writeFixtureRun(temporaryDir());
  for (const stage of ['ground-truth', 'rlhf', 'demonstrations', 'irl', 'evaluate']) rmSync(join(early, stage), { recursive: true });
  const page = await renderReport(early);
  assert.deepEqual(page.sections, ['provenance']);
  assert.match(sectionOf(page.html, 'summary'), /Not run: this run folder has no completed <code>evaluate<\/code> stage/);
  assert.match(sectionOf(page.html, 'disagreements'), /no completed <code>irl<\/code>, <code>demonstrations<\/code> stages/);

  const pythia = await renderReport(writeFixtureRun(temporaryDir(), { minimalPairs: false, groundTruthEvaluation: false }));
  assert.match(sectionOf(pythia.html, 'summary'), /a reward that tells toxic from non-toxic test texts/);
  assert.match(sectionOf(pythia.html, 'ground-truth'), /a classifier the config names \(ground_truth\.source: s-nlp\/roberta_toxicity_classifier\)/);
  assert.doesNotMatch(sectionOf(pythia.html, 'irl-metrics'), /minimal pairs right|where the abusive word sits/);
});
