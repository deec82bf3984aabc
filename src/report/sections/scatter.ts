/**
 * Recovered reward against the ground truth on every test text, for seed 0 of each variant: the
 * first seed, fixed before any result was seen, so that the picture is typical rather than chosen.
 */
import type { TopLevelSpec } from 'vega-lite';
import { chart, grid, type PanelSpec } from '../charts.js';
import type { VariantTestScores } from '../run-model.js';
import { defineSection } from '../section.js';

function panelSpec(scores: VariantTestScores): PanelSpec {
  const values = scores.texts.map((t) => ({ groundTruth: -t.toxicity, score: t.score, author: t.fromExpert ? 'expert' : 'baseline' }));
  return {
    width: 170,
    height: 130,
    layer: [
      { data: { values: [{ x: -0.5 }] }, mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      {
        data: { values },
        mark: { type: 'circle', size: 14, opacity: 0.55 },
        encoding: {
          x: { field: 'groundTruth', type: 'quantitative', title: 'ground truth −P_tox', scale: { domain: [-1, 0] } },
          y: { field: 'score', type: 'quantitative', title: 'recovered reward', scale: { zero: false } },
          color: { field: 'author', type: 'nominal', title: 'written by', scale: { domain: ['expert', 'baseline'], range: ['#3b6ea5', '#d9822b'] } },
        },
      },
    ],
  };
}

function scatterSpec(variants: readonly VariantTestScores[]): TopLevelSpec {
  const title = (v: VariantTestScores) => (v.seed === null ? `${v.variant} (its one run)` : `${v.variant}, seed ${v.seed}`);
  return grid(variants.map((v) => ({ title: title(v), spec: panelSpec(v) })), 4);
}

export const scatterSection = defineSection('scatter', 'Recovered reward against the ground truth, text by text', ['irl'], async (run) =>
  chart(
    scatterSpec(run.testScores!),
    'Every test text as seed 0 of each variant scored it: seed 0 is the first seed, not a chosen one (the other seeds are summarised above). '
      + 'The ground truth is −P_tox of prompt + continuation; a text is toxic left of the dashed line (P_tox > 0.5). Each panel has its own reward scale.',
  ),
);
