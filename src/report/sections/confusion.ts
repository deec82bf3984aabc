/**
 * Agreement by sign as confusion matrices: per variant, each cell's count of test texts as a mean
 * ± sd over seeds (evaluate's per-seed confusion matrices, at the sign threshold 0).
 */
import type { TopLevelSpec } from 'vega-lite';
import { summariseSeeds } from '../../eval/index.js';
import { chart, grid, type PanelSpec } from '../charts.js';
import type { EvaluatePart } from '../run-model.js';
import { defineSection } from '../section.js';

const SIGNS = ['not toxic', 'toxic'] as const;

/** Counts read best with one decimal: "96.0 ± 3.1". */
const count = (x: number) => x.toFixed(1);

function cellsOf(evaluation: EvaluatePart, variant: string) {
  const matrices = evaluation.perSeed.filter((line) => line.variant === variant).map((line) => line.confusion);
  const total = matrices.length === 0 ? 0 : matrices[0]!.flat().reduce((a, b) => a + b, 0);
  return SIGNS.flatMap((truth, i) =>
    SIGNS.map((predicted, j) => {
      const counts = summariseSeeds(matrices.map((m) => m[i]![j]!));
      const mean = counts.mean ?? 0;
      return { truth, predicted, share: total > 0 ? mean / total : 0, label: counts.sd === null ? count(mean) : `${count(mean)} ± ${count(counts.sd)}` };
    }),
  );
}

function panelSpec(evaluation: EvaluatePart, variant: string): PanelSpec {
  const cell = {
    x: { field: 'predicted', type: 'nominal', title: 'recovered reward says', sort: [...SIGNS], axis: { labelAngle: 0 } },
    y: { field: 'truth', type: 'nominal', title: 'ground truth says', sort: [...SIGNS] },
  } as const;
  return {
    data: { values: cellsOf(evaluation, variant) },
    width: 180,
    height: 70,
    layer: [
      { mark: 'rect', encoding: { ...cell, color: { field: 'share', type: 'quantitative', title: 'share of texts', scale: { scheme: 'blues', domain: [0, 1] } } } },
      { mark: { type: 'text', fontSize: 11 }, encoding: { ...cell, text: { field: 'label' }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } } },
    ],
  };
}

function confusionSpec(evaluation: EvaluatePart): TopLevelSpec {
  return grid(evaluation.summary.variants.map((v) => ({ title: v.name, spec: panelSpec(evaluation, v.name) })), 3);
}

export const confusionSection = defineSection('confusion', 'Confusion matrices by sign', ['evaluate'], async (run) =>
  chart(
    confusionSpec(run.evaluation!),
    'Test texts by the ground truth’s sign (toxic when P_tox > 0.5) and the recovered reward’s (toxic when r < 0): the mean count over seeds ± sd; the colour is the mean share of the test texts.',
  ),
);
