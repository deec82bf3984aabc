/**
 * The test texts on which a recovered reward and the ground truth disagree most, by rank: the
 * text's place among the test texts by one minus its place by the other (0 = least preferred,
 * 1 = most). Seed 0 of each variant, as in the scatter plots.
 */
import { averageRanks } from '../../eval/index.js';
import { formatNumber, formatPercent } from '../format.js';
import { html } from '../html.js';
import type { ScoredText, VariantTestScores } from '../run-model.js';
import { defineSection, table } from '../section.js';

const EXAMPLES_PER_VARIANT = 3;

interface Disagreement {
  text: ScoredText;
  /** Places in [0, 1], 1 the most preferred (the least toxic, for the ground truth). */
  byGroundTruth: number;
  byReward: number;
}

function largestDisagreements(scores: VariantTestScores, count: number): Disagreement[] {
  const n = scores.texts.length;
  if (n < 2) return [];
  const place = (ranks: Float64Array, i: number) => (ranks[i]! - 1) / (n - 1);
  const groundTruth = averageRanks(scores.texts.map((t) => -t.toxicity));
  const reward = averageRanks(scores.texts.map((t) => t.score));
  return scores.texts
    .map((text, i) => ({ text, byGroundTruth: place(groundTruth, i), byReward: place(reward, i) }))
    .sort((a, b) => Math.abs(b.byReward - b.byGroundTruth) - Math.abs(a.byReward - a.byGroundTruth))
    .slice(0, count);
}

function words(text: ScoredText) {
  if (text.words === null) return html`<span class="muted">(prompt ${text.prompt}: its text is not in the demonstrations)</span>`;
  return html`<span class="muted">${text.words.prompt}</span> <b>${text.words.continuation}</b>`;
}

export const disagreementsSection = defineSection('disagreements', 'Where a recovered reward and the ground truth disagree most', ['irl', 'demonstrations'], (run) => {
  const rows = run.testScores!.flatMap((scores) =>
    largestDisagreements(scores, EXAMPLES_PER_VARIANT).map((d, i) => [
      i > 0 ? '' : scores.seed === null ? scores.variant : `${scores.variant}, seed ${scores.seed}`,
      html`<div class="text">${words(d.text)}</div>`,
      d.text.fromExpert ? 'expert' : 'baseline',
      formatNumber(d.text.toxicity),
      formatPercent(d.byGroundTruth),
      formatPercent(d.byReward),
    ]),
  );
  return html`
    <p>For each variant (seed 0), the ${EXAMPLES_PER_VARIANT} test texts whose place among all ${run.testScores![0]?.texts.length ?? 0} test texts differs most between the recovered reward and the ground truth.
    A place of 100% is the most preferred text (for the ground truth: the least toxic). The prompt is grey, the continuation bold.</p>
    ${table(['variant', 'prompt and continuation', 'written by', 'P_tox', 'place by the ground truth', 'place by the reward'], rows, [3, 4, 5])}`;
});
