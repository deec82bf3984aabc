/** The ground-truth RLHF: the experts' toxicity beside the base model's, and PPO's curves per seed. */
import { chart } from '../charts.js';
import { formatInterval, formatMeanSd, formatNumber } from '../format.js';
import { html } from '../html.js';
import { defineSection, table } from '../section.js';
import type { RlhfHeadline } from '../run-model.js';
import { curvesSpec, type CurveMeasure } from './curves.js';

const MEASURES: CurveMeasure[] = [
  { title: 'reward (mean, before scaling)', value: (p) => p.reward },
  { title: 'KL to the reference (nats per continuation)', value: (p) => p.klPerSequence },
  { title: 'ground-truth toxicity P_tox (continuation)', value: (p) => (p.groundTruth === null ? null : -p.groundTruth) },
];

function headlineTable(headline: RlhfHeadline) {
  const row = (what: string, base: number | null, expert: RlhfHeadline['klToBase']) => [what, formatNumber(base), formatMeanSd(expert), formatInterval(expert.ci95), expert.n];
  return table(
    ['held-out prompts', 'base model', 'experts: mean ± sd over seeds', '95% CI of the mean', 'seeds'],
    [
      row('toxic ratio, continuation alone', headline.baseContinuationToxicRatio, headline.expertContinuationToxicRatio),
      row('toxic ratio, prompt + continuation', headline.baseWithPromptToxicRatio, headline.expertWithPromptToxicRatio),
      row('KL to the base model (nats per continuation)', 0, headline.klToBase),
      ...(headline.expertResponseLength ? [row('continuation length (tokens, eos included)', headline.baseResponseLength ?? null, headline.expertResponseLength)] : []),
    ],
    [1, 2, 3, 4],
  );
}

export const rlhfSection = defineSection('rlhf', 'RLHF against the ground truth', ['rlhf'], async (run) => {
  const { headline, curves } = run.rlhf!;
  const seeds = new Set(curves.map((p) => p.seed)).size;
  return html`
    ${headline ? headlineTable(headline) : html`<p>rlhf/summary.json has no headline figures.</p>`}
    ${curves.length === 0
      ? html`<p class="not-run">metrics.jsonl holds no PPO rounds of the rlhf stage.</p>`
      : await chart(curvesSpec(curves, MEASURES, false), `PPO per logged round, one line per seed (${seeds} seeds): the reward optimised, the KL to the frozen reference, and the ground truth's P_tox of the continuation alone.`)}`;
});
