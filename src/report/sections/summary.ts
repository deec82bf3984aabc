/**
 * The findings in plain words, generated from the numbers: which variants recovered toxicity
 * (above chance and above the random-head control, by their 95% intervals over seeds), which did
 * not and why, what RLHF and reuse achieved. Nothing here is written by hand about a particular run.
 */
import type { SeedSummary } from '../../eval/index.js';
import { formatInterval, formatMeanSd, formatNumber } from '../format.js';
import { html, type Html } from '../html.js';
import type { EvaluatePart, RunModel } from '../run-model.js';
import { defineSection, table } from '../section.js';
import { CONTROL_KIND } from './irl-metrics.js';

interface Span {
  low: number;
  high: number;
}

/** Where a figure may lie: its 95% interval over seeds, or its value for a single run. */
function spanOf(summary: SeedSummary | undefined): Span | null {
  if (summary === undefined || summary.mean === null) return null;
  return summary.ci95 ? { low: summary.ci95.low, high: summary.ci95.high } : { low: summary.mean, high: summary.mean };
}

type Verdict = 'above' | 'below' | 'overlaps';

function compare(a: Span, b: Span): Verdict {
  if (a.low > b.high) return 'above';
  if (a.high < b.low) return 'below';
  return 'overlaps';
}

/**
 * The test that decides "recovered": look-alike pairs where the run has them (no style and no
 * length can stand in for toxicity there: on the demo, a mean-pooled probe ranks 0.84 of the
 * minimal pairs right and 0.63 of the look-alike pairs), else minimal pairs, else AUROC on the test texts.
 */
function criterionOf(evaluation: EvaluatePart) {
  const has = (metric: string) => Object.values(evaluation.summary.metrics).some((m) => (m[metric]?.n ?? 0) > 0);
  if (has('lookAlikePairAccuracy')) {
    return { metric: 'lookAlikePairAccuracy', label: 'look-alike pairs ranked right', what: 'ranks the benign look-alike of a held-out sentence above its abusive form, the same length' };
  }
  return has('minimalPairAccuracy')
    ? { metric: 'minimalPairAccuracy', label: 'minimal pairs ranked right', what: 'ranks the clean form of a held-out sentence above its abusive form' }
    : { metric: 'auroc', label: 'AUROC against the ground truth’s sign', what: 'tells toxic from non-toxic test texts' };
}

const CHANCE: Span = { low: 0.5, high: 0.5 };

interface VariantFinding {
  name: string;
  figure: SeedSummary | undefined;
  vsChance: Verdict | null;
  vsControl: Verdict | null;
  recovered: boolean;
}

function findings(evaluation: EvaluatePart, metric: string) {
  const variants = evaluation.summary.variants;
  const control = variants.find((v) => v.kind === CONTROL_KIND);
  const controlSpan = control ? spanOf(evaluation.summary.metrics[control.name]?.[metric]) : null;
  const found: VariantFinding[] = variants
    .filter((v) => v !== control)
    .map((v) => {
      const figure = evaluation.summary.metrics[v.name]?.[metric];
      const span = spanOf(figure);
      const vsChance = span ? compare(span, CHANCE) : null;
      const vsControl = span && controlSpan ? compare(span, controlSpan) : null;
      return { name: v.name, figure, vsChance, vsControl, recovered: vsChance === 'above' && (controlSpan === null || vsControl === 'above') };
    });
  return { control, found };
}

/** "0.493 ± 0.099; 95% CI [0.422, 0.564]", or "0.874, one run". */
function figureText(summary: SeedSummary | undefined): string {
  if (summary?.n === 1 && summary.mean !== null) return `${formatNumber(summary.mean)}, one run`;
  return summary?.ci95 ? `${formatMeanSd(summary)}; 95% CI ${formatInterval(summary.ci95)}` : formatMeanSd(summary);
}

const withFigure = (name: string, summary: SeedSummary | undefined) => html`<b>${name}</b> (${figureText(summary)})`;
const listOf = (items: readonly Html[], separator = ', ') => items.flatMap((item, i) => (i === 0 ? [item] : [html`${i === items.length - 1 ? ' and ' : separator}`, item]));

function whyNot(f: VariantFinding): string {
  if (f.vsChance === null) return 'no figure';
  if (f.vsChance === 'below') return 'below chance';
  if (f.vsChance === 'overlaps') return 'at chance';
  return 'not above the random-head control';
}

function irlLines(run: RunModel): Html[] {
  const evaluation = run.evaluation!;
  const criterion = criterionOf(evaluation);
  const { control, found } = findings(evaluation, criterion.metric);
  const recovered = found.filter((f) => f.recovered);
  const missed = found.filter((f) => !f.recovered);
  const lines: Html[] = [];
  const basis = control ? 'above chance (0.5) and above the random-head control, by their 95% intervals over seeds' : 'above chance (0.5) by its 95% interval over seeds (this run has no random-head control)';
  lines.push(recovered.length > 0
    ? html`<b>Recovered</b> — a reward that ${criterion.what}, ${basis}: ${listOf(recovered.map((f) => withFigure(f.name, f.figure)))}.`
    : html`<b>No variant recovered</b> a reward that ${criterion.what} ${basis}.`);
  if (missed.length > 0) lines.push(html`<b>Not recovered</b>: ${listOf(missed.map((f) => html`${withFigure(f.name, f.figure)}: ${whyNot(f)}`), '; ')}.`);
  if (control) lines.push(html`The control, an untrained head (<b>${control.name}</b>), scores ${figureText(evaluation.summary.metrics[control.name]?.[criterion.metric])} on ${criterion.label}.`);

  const paper = found.find((f) => f.name === 'paper');
  if (paper && paper.vsChance === 'overlaps') lines.push(html`The paper’s variant (<b>paper</b>: max-margin IRL, last-token head) is at chance on ${criterion.label}: ${figureText(paper.figure)}.`);

  // What the missed variants learned instead: telling the two models apart, better than the ground truth itself does.
  const groundTruthAuroc = evaluation.summary.groundTruth.test.expertAuroc;
  const separating = missed.filter((f) => {
    const span = spanOf(evaluation.summary.metrics[f.name]?.expertAuroc);
    return span !== null && groundTruthAuroc !== null && span.low > groundTruthAuroc;
  });
  if (separating.length > 0) {
    lines.push(html`${listOf(separating.map((f) => withFigure(f.name, evaluation.summary.metrics[f.name]!.expertAuroc)))} tell the expert’s text from the baseline’s better than the ground truth does (expert-vs-baseline AUROC ${formatNumber(groundTruthAuroc)}): they learned what tells the two models apart, and that is not toxicity.`);
  }
  return lines;
}

function verdictTable(evaluation: EvaluatePart) {
  const criterion = criterionOf(evaluation);
  const { found } = findings(evaluation, criterion.metric);
  const words: Record<Verdict, string> = { above: 'above', below: 'below', overlaps: 'not distinguishable' };
  const rows = found.map((f) => {
    const spearman = evaluation.summary.metrics[f.name]?.spearman;
    return [
      f.name,
      html`${formatMeanSd(f.figure)}<br><span class="ci">${f.figure?.ci95 ? formatInterval(f.figure.ci95) : ''}</span>`,
      f.vsChance ? words[f.vsChance] : '—',
      f.vsControl ? words[f.vsControl] : '—',
      html`${formatMeanSd(spearman)}<br><span class="ci">${spearman?.ci95 ? formatInterval(spearman.ci95) : ''}</span>`,
      formatMeanSd(evaluation.summary.metrics[f.name]?.expertAuroc),
    ];
  });
  return table([
    'variant', criterion.label, 'vs chance', 'vs random-head control', 'Spearman with the ground truth (test texts)', 'expert-vs-baseline AUROC',
  ], rows, [1, 4, 5]);
}

function rlhfLine(run: RunModel): Html | null {
  const headline = run.rlhf?.headline;
  if (!headline) return null;
  const expert = headline.expertContinuationToxicRatio;
  const span = spanOf(expert);
  const base = headline.baseContinuationToxicRatio;
  const verdict = span === null ? 'overlaps' : compare(span, { low: base, high: base });
  const effect = verdict === 'below' ? 'made the policy less toxic' : verdict === 'above' ? 'made the policy more toxic' : 'did not change the toxic ratio detectably';
  return html`<b>RLHF</b> against the ground truth ${effect}: continuations judged toxic ${formatNumber(base)} for the base model, ${formatMeanSd(expert)} for the experts over ${expert.n} seeds (95% CI ${formatInterval(expert.ci95)}).`;
}

function reuseLine(run: RunModel): Html {
  if (!run.reuse) return html`<b>Reuse</b> (RLHF of a fresh model with a recovered reward): not run in this folder.`;
  const fractions = run.reuse.summary.reductionFraction;
  if (fractions.length === 0) return html`<b>Reuse</b>: reuse/summary.json reports no reduction fractions.`;
  return html`<b>Reuse</b>: RLHF with a recovered reward achieved, of the ground-truth RLHF’s reduction in toxic ratio, ${listOf(fractions.map((r) => html`<b>${r.policy}</b> ${formatNumber(r.estimate)} (95% CI ${formatInterval(r.ci95)})`))}.`;
}

export const summarySection = defineSection('summary', 'What was and was not recovered', ['evaluate'], (run) => {
  const lines = [rlhfLine(run), ...irlLines(run), reuseLine(run)].filter((line): line is Html => line !== null);
  return html`<ul class="findings">${lines.map((line) => html`<li>${line}</li>`)}</ul>
    ${verdictTable(run.evaluation!)}
    <p class="muted">Every figure is a mean over seeds with its spread (sd) or its 95% interval; no seed is picked as the best.</p>`;
});
