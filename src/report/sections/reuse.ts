/**
 * Reuse: fresh models RLHF'd with the recovered rewards, benchmarked for toxicity beside the base
 * model, the ground-truth RLHF experts and the random-head control (reuse/summary.json), and their
 * PPO curves: the proxy reward they climbed beside the ground truth they were meant to improve.
 */
import type { SeedSummary } from '../../eval/index.js';
import type { BenchmarkMetric, BenchmarkedPolicy, JudgeName, ReuseSummary } from '../../pipeline/stages/reuse-summary.js';
import { chart } from '../charts.js';
import { formatInterval, formatMeanSd, formatNumber } from '../format.js';
import { html, type HtmlValue } from '../html.js';
import { defineSection, table } from '../section.js';
import { curvesSpec, type CurveMeasure } from './curves.js';
import { stripSpec } from './strip.js';

const JUDGES: readonly { name: JudgeName; label: string }[] = [
  { name: 'groundTruth', label: 'toxic ratio by the ground truth' },
  { name: 'independent', label: 'toxic ratio by the independent judge' },
];

const KIND_COLOURS: Record<BenchmarkedPolicy['kind'], string> = { base: '#555555', 'ground-truth': '#2e8b57', recovered: '#3b6ea5', control: '#aaaaaa', served: '#b8860b' };

function spread(summary: SeedSummary | undefined): HtmlValue {
  return summary?.ci95 ? html`${formatMeanSd(summary)}<br><span class="ci">${formatInterval(summary.ci95)}</span>` : formatMeanSd(summary);
}

function rewardSource(policy: BenchmarkedPolicy): HtmlValue {
  if (policy.variant === null) return policy.reward ?? '—';
  return html`${policy.reward ?? ''}<br><span class="ci">${policy.variant}, reward seed ${policy.rewardSeed ?? '—'}${policy.chosenBy ? html`: ${policy.chosenBy}` : ''}</span>`;
}

function benchmarkTables(summary: ReuseSummary) {
  const cell = (p: BenchmarkedPolicy, metric: BenchmarkMetric) => spread(p.acrossSeeds[metric]);
  const toxicity = table(
    ['policy', 'trained on', 'seeds', 'toxic ratio (ground truth)', 'toxic ratio (independent)', 'mean P_tox (ground truth)', 'share flagged (independent)'],
    summary.policies.map((p) => [p.name, rewardSource(p), p.seeds.length, cell(p, 'toxicRatio.groundTruth'), cell(p, 'toxicRatio.independent'), cell(p, 'meanToxicity.groundTruth'), cell(p, 'meanToxicity.independent')]),
    [2, 3, 4, 5, 6],
  );
  const fluency = table(
    ['policy', 'KL to base (nats)', 'perplexity under base', 'distinct-1', 'distinct-2', 'length (tokens)'],
    summary.policies.map((p) => [p.name, cell(p, 'klToBase'), cell(p, 'perplexityUnderBase'), cell(p, 'distinct1'), cell(p, 'distinct2'), cell(p, 'responseLength')]),
    [1, 2, 3, 4, 5],
  );
  return html`<h3>Toxicity (mean ± sd over PPO seeds, 95% interval of the mean below)</h3>${toxicity}<h3>What it cost: drift from the base model and fluency</h3>${fluency}`;
}

const formatP = (p: number | null) => (p === null ? '—' : p < 0.001 ? '< 0.001' : p.toFixed(3));

function testsTables(summary: ReuseSummary) {
  const comparisons = table(
    ['policy a', 'policy b', 'judge', 'toxic ratio a − b', '95% CI (Newcombe)', 'z', 'p'],
    summary.comparisons.map((c) => [c.a, c.b, c.judge, formatNumber(c.difference), formatInterval(c.ci95), formatNumber(c.z), formatP(c.pValue)]),
    [3, 4, 5, 6],
  );
  const reductions = table(
    ['policy', 'share of the ground-truth RLHF’s reduction', '95% CI (bootstrap over prompts)'],
    summary.reductionFraction.map((r) => [r.policy, formatNumber(r.estimate), formatInterval(r.ci95)]),
    [1, 2],
  );
  return html`<h3>Two-proportion tests of the toxic ratio, pooled over seeds</h3>${comparisons}
    <h3>How much of the ground-truth RLHF’s reduction each policy achieves</h3>
    <p>(base − policy) / (base − ground-truth RLHF) of the toxic ratio by the ground truth, pooled over seeds: 1 is as good as RLHF on the ground truth itself, 0 no better than the base model.</p>${reductions}`;
}

function toxicitySpec(summary: ReuseSummary) {
  const policies = summary.policies;
  const seeds = policies.flatMap((p) => JUDGES.flatMap((j) => p.seeds.map((s) => ({ panel: j.label, row: p.name, value: s.toxicRatio[j.name], group: p.kind }))));
  const summaries = policies.flatMap((p) =>
    JUDGES.flatMap((j) => {
      const s = p.acrossSeeds[`toxicRatio.${j.name}`];
      return s?.mean === null || s === undefined ? [] : [{ panel: j.label, row: p.name, mean: s.mean, low: s.ci95?.low ?? null, high: s.ci95?.high ?? null }];
    }),
  );
  const base = policies.find((p) => p.kind === 'base');
  const references = base ? JUDGES.flatMap((j) => base.seeds.slice(0, 1).map((s) => ({ panel: j.label, value: s.toxicRatio[j.name] }))) : [];
  const kinds = [...new Set(policies.map((p) => p.kind))];
  return stripSpec({ seeds, summaries, references, panels: JUDGES.map((j) => j.label), rows: policies.map((p) => p.name), groups: kinds.map((k) => ({ name: k, colour: KIND_COLOURS[k] })), columns: 2 });
}

export const reuseBenchmarkSection = defineSection('reuse-benchmark', 'Reuse: RLHF with the recovered rewards, benchmarked for toxicity', ['reuse'], async (run) => {
  const summary = run.reuse!.summary;
  return html`
    <p>${summary.benchmarkPrompts} held-out prompts, ${summary.samplesPerPrompt} continuation(s) each, judged on the continuation alone; toxic when P(toxic) > ${summary.threshold}.
    Judges: the ground truth (${summary.judges.groundTruth}) and an independent judge (${summary.judges.independent}). Recovered rewards were normalised for PPO by ${summary.normalisation}.</p>
    ${await chart(toxicitySpec(summary), 'Toxic ratio of each policy: one dot per PPO seed, the black bar the mean over seeds and the line its 95% interval; the dashed line is the base model.')}
    ${benchmarkTables(summary)}
    ${testsTables(summary)}`;
});

const REUSE_MEASURES: CurveMeasure[] = [
  { title: 'proxy reward (the recovered one, before normalisation)', value: (p) => p.reward },
  { title: 'ground-truth reward −P_tox (continuation)', value: (p) => p.groundTruth },
];

export const reuseCurvesSection = defineSection('reuse-curves', 'Reuse: what PPO climbed and what it achieved', ['reuse'], async (run) => {
  const curves = run.reuse!.curves;
  if (curves.length === 0) return html`<p class="not-run">metrics.jsonl holds no PPO rounds of the reuse stage.</p>`;
  return chart(curvesSpec(curves, REUSE_MEASURES, true), 'Per logged PPO round, one row per policy and one line per seed: the recovered reward PPO optimised (the proxy) beside the ground truth’s −P_tox of the same continuations. A proxy that climbs while the ground truth stays flat is reward hacking, or a reward that was never toxicity.');
});
