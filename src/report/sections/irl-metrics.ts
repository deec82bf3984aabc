/**
 * Every IRL metric of every variant as a distribution over seeds (evaluate's per-seed figures and
 * their summaries), never a best seed; with the ground truth's own figures on the same texts for scale.
 */
import type { SeedSummary } from '../../eval/index.js';
import { chart } from '../charts.js';
import { formatInterval, formatMeanSd, formatNumber } from '../format.js';
import { html } from '../html.js';
import type { ContinuationStats } from '../../irl/index.js';
import type { EvaluatePart, RunModel } from '../run-model.js';
import { defineSection, table } from '../section.js';
import { stripSpec, type StripSeed, type StripSummary } from './strip.js';

/** The metrics in reading order, each with its name on the page and where chance (or no relation) lies. */
const METRICS: readonly { name: string; label: string; chance: number | null }[] = [
  { name: 'minimalPairAccuracy', label: 'minimal pairs right', chance: 0.5 },
  { name: 'lookAlikePairAccuracy', label: 'look-alike pairs right (length-matched)', chance: 0.5 },
  { name: 'cleanOverLookAlike', label: 'clean over look-alike (no toxicity differs)', chance: 0.5 },
  { name: 'auroc', label: 'AUROC (toxic by the ground truth)', chance: 0.5 },
  { name: 'pairwiseAccuracy', label: 'pairwise accuracy', chance: 0.5 },
  { name: 'spearman', label: 'Spearman', chance: 0 },
  { name: 'pearson', label: 'Pearson', chance: 0 },
  { name: 'kendall', label: 'Kendall τ-b', chance: 0 },
  { name: 'expertAuroc', label: 'expert-vs-baseline AUROC', chance: 0.5 },
  { name: 'accuracy', label: 'accuracy by sign', chance: null },
  { name: 'f1', label: 'F1 by sign', chance: null },
  { name: 'accuracyAtThreshold', label: 'accuracy, validation threshold', chance: null },
  { name: 'cosine', label: 'cosine', chance: 0 },
  { name: 'epic', label: 'EPIC distance', chance: null },
  { name: 'starc', label: 'STARC distance', chance: null },
  { name: 'euclidean', label: 'Euclidean distance', chance: null },
  { name: 'standardisedEuclidean', label: 'standardised Euclidean', chance: null },
];

export const CONTROL_KIND = 'random';
const GROUPS = [{ name: 'recovered reward', colour: '#3b6ea5' }, { name: 'random-head control', colour: '#999999' }];

/** The metrics this run has figures for, known ones first. */
function metricsOf(evaluation: EvaluatePart) {
  const present = new Set(Object.values(evaluation.summary.metrics).flatMap((m) => Object.entries(m).filter(([, s]) => s.n > 0).map(([name]) => name)));
  const known = METRICS.filter((m) => present.has(m.name));
  const unknown = [...present].filter((name) => !METRICS.some((m) => m.name === name)).map((name) => ({ name, label: name, chance: null }));
  return [...known, ...unknown];
}

function distributionChart(evaluation: EvaluatePart) {
  const metrics = metricsOf(evaluation);
  const variants = evaluation.summary.variants;
  const kindOf = new Map(variants.map((v) => [v.name, v.kind]));
  const seeds: StripSeed[] = evaluation.perSeed.flatMap((line) =>
    metrics.flatMap((m) => {
      const value = line[m.name];
      return typeof value === 'number' && Number.isFinite(value) ? [{ panel: m.label, row: line.variant, value, group: GROUPS[kindOf.get(line.variant) === CONTROL_KIND ? 1 : 0]!.name }] : [];
    }),
  );
  const summaries: StripSummary[] = variants.flatMap((v) =>
    metrics.flatMap((m) => {
      const s: SeedSummary | undefined = evaluation.summary.metrics[v.name]?.[m.name];
      return s && s.mean !== null ? [{ panel: m.label, row: v.name, mean: s.mean, low: s.ci95?.low ?? null, high: s.ci95?.high ?? null }] : [];
    }),
  );
  const references = metrics.flatMap((m) => (m.chance === null ? [] : [{ panel: m.label, value: m.chance }]));
  return stripSpec({ seeds, summaries, references, panels: metrics.map((m) => m.label), rows: variants.map((v) => v.name), groups: GROUPS, columns: 3 });
}

function metricsTable(evaluation: EvaluatePart) {
  const variants = evaluation.summary.variants;
  const rows = metricsOf(evaluation).map((m) => [
    m.label,
    ...variants.map((v) => {
      const s = evaluation.summary.metrics[v.name]?.[m.name];
      return s?.ci95 ? html`${formatMeanSd(s)}<br><span class="ci">${formatInterval(s.ci95)}</span>` : formatMeanSd(s);
    }),
  ]);
  return table(['metric', ...variants.map((v) => html`${v.name}<br><span class="ci">n = ${v.seeds}</span>`)], rows, variants.map((_, i) => i + 1));
}

/** What tells the two sides apart besides toxicity: a recovered reward learns length too when the expert writes shorter. */
function demonstrationsNote(sides: NonNullable<RunModel['demonstrations']>) {
  const side = (s: ContinuationStats) => html`${s.texts} continuations average ${formatNumber(s.meanTokens)} tokens${s.toxicShare === null ? '' : html`, ${formatNumber(s.toxicShare)} of them toxic alone`}`;
  const ratio = sides.baseline.meanTokens > 0 ? sides.expert.meanTokens / sides.baseline.meanTokens : 1;
  return html`<p>The demonstrations: the expert's ${side(sides.expert)}; the baseline's ${side(sides.baseline)}.
    ${ratio < 0.8 ? html`The expert writes ${formatNumber(1 / ratio)}× shorter: a reward every token risks lowering pays for ending early, so a reward recovered from these pairs (the log-ratio included) rewards brevity too, which the ground truth of a given text does not.` : ''}</p>`;
}

export const irlMetricsSection = defineSection('irl-metrics', 'Recovered rewards against the ground truth, over seeds', ['evaluate'], async (run) => {
  const evaluation = run.evaluation!;
  const { texts, groundTruth, variants } = evaluation.summary;
  const notes = variants.filter((v) => v.note !== null);
  return html`
    <p>Held-out test texts: ${texts.test} continuations of prompts IRL never saw, from both models${texts.minimalPairs > 0 ? html`; and ${texts.minimalPairs} minimal pairs (one held-out sentence, clean and abusive, where no style can stand in for toxicity). The abusive form is the longer, so each sentence is also scored in its benign look-alike shape, the abusive word's slot filled by a harmless word: look-alike pairs (look-alike above abusive) are the same length, and a reward that puts the clean form above its look-alike far more often than the ground truth does penalises the insertion itself, which inflates its minimal pairs` : ''}.
    The ground truth is ${groundTruth.definition}. For scale, the ground truth itself tells the expert's text from the baseline's with AUROC ${formatNumber(groundTruth.test.expertAuroc)}${groundTruth.minimalPairs ? html` and ranks ${formatNumber(groundTruth.minimalPairs.pairAccuracy)} of the minimal pairs right` : ''}; ${formatNumber(groundTruth.test.toxicShare)} of the test texts are toxic by it.</p>
    ${run.demonstrations ? demonstrationsNote(run.demonstrations) : ''}
    ${notes.length > 0 ? html`<ul>${notes.map((v) => html`<li><b>${v.name}</b>: ${v.note}</li>`)}</ul>` : ''}
    ${await chart(distributionChart(evaluation), 'Each dot is one seed; the black bar is the mean over seeds and the black line its 95% t-interval; the dashed line is chance (0.5) or no correlation (0). Grey: the untrained random-head control. Every seed is shown; none is picked.')}
    <h3>Mean ± sd over seeds, with the 95% interval of the mean</h3>
    ${metricsTable(evaluation)}
    ${pairsByTemplateTable(evaluation)}`;
});

/** Minimal and look-alike pairs by where the abusive word sits: the shapes of abuse a reward misses. */
function pairsByTemplateTable(evaluation: EvaluatePart) {
  const { pairsByTemplate, variants, groundTruth } = evaluation.summary;
  if (!pairsByTemplate) return '';
  const templates = Object.entries(Object.values(pairsByTemplate)[0] ?? {}).map(([name, { sentences }]) => ({ name, sentences }));
  const both = (minimal: number | null | undefined, lookAlike: number | null | undefined) => `${formatNumber(minimal)} / ${formatNumber(lookAlike)}`;
  const rows = templates.map(({ name, sentences }) => {
    const truth = groundTruth.minimalPairs?.byTemplate?.[name];
    return [
      html`${name}<br><span class="ci">${sentences} sentences</span>`,
      truth ? both(truth.minimalPairAccuracy, truth.lookAlikePairAccuracy) : '',
      ...variants.map((v) => {
        const figures = pairsByTemplate[v.name]?.[name];
        return figures ? both(figures.minimalPairAccuracy.mean, figures.lookAlikePairAccuracy.mean) : '';
      }),
    ];
  });
  return html`<h3>Minimal / look-alike pairs right, by where the abusive word sits (mean over seeds)</h3>
    <p>An interjection opens the sentence ("Shit, it is…"). The pairs are read as continuations, after a space, by the rewards and the ground truth alike. A recovered reward can only know what the RLHF reward punished, so where the ground truth itself is weak (its column), no reward can be expected to order the pairs.</p>
    ${table(['template', 'ground truth', ...variants.map((v) => v.name)], rows, [1, ...variants.map((_, i) => i + 2)])}`;
}
