/**
 * How the recovered rewards agree with each other on the test texts (evaluate's similarity
 * matrices): between variants on average, and run by run. Seeds that agree with each other but
 * not with the ground truth have learned something, only not toxicity.
 */
import type { TopLevelSpec } from 'vega-lite';
import { chart } from '../charts.js';
import { formatNumber } from '../format.js';
import { html } from '../html.js';
import type { EvaluatePart } from '../run-model.js';
import { defineSection, table } from '../section.js';

const colour = { field: 'value', type: 'quantitative', title: 'Pearson', scale: { scheme: 'redblue', domain: [-1, 1] } } as const;

function betweenVariantsSpec(evaluation: EvaluatePart): TopLevelSpec {
  const { variants, meanPearson } = evaluation.summary.similarity.betweenVariants;
  const values = variants.flatMap((a, i) => variants.flatMap((b, j) => {
    const value = meanPearson[i]?.[j];
    return value === null || value === undefined ? [] : [{ a, b, value, label: formatNumber(value) }];
  }));
  const axes = { x: { field: 'b', type: 'nominal', title: null, sort: variants, axis: { labelAngle: -40 } }, y: { field: 'a', type: 'nominal', title: null, sort: variants } } as const;
  return {
    data: { values },
    width: { step: 52 },
    height: { step: 26 },
    layer: [
      { mark: 'rect', encoding: { ...axes, color: colour } },
      { mark: { type: 'text', fontSize: 10 }, encoding: { ...axes, text: { field: 'label' }, color: { condition: { test: 'abs(datum.value) > 0.6', value: 'white' }, value: 'black' } } },
    ],
  };
}

function runByRunSpec(evaluation: EvaluatePart): TopLevelSpec {
  const { labels, pearson } = evaluation.similarity;
  const values = labels.flatMap((a, i) => labels.flatMap((b, j) => {
    const value = pearson[i]?.[j];
    return value === null || value === undefined ? [] : [{ a, b, value }];
  }));
  return {
    data: { values },
    width: { step: 8 },
    height: { step: 8 },
    mark: 'rect',
    encoding: {
      x: { field: 'b', type: 'nominal', title: null, sort: labels, axis: { labelFontSize: 7, labelAngle: -90 } },
      y: { field: 'a', type: 'nominal', title: null, sort: labels, axis: { labelFontSize: 7 } },
      color: colour,
    },
  };
}

export const similaritySection = defineSection('similarity', 'Correlations between recovered rewards', ['evaluate'], async (run) => {
  const evaluation = run.evaluation!;
  const within = evaluation.summary.similarity.withinVariant;
  const rows = evaluation.summary.variants.map((v) => [v.name, v.seeds, formatNumber(within[v.name]?.meanPearson), formatNumber(within[v.name]?.meanEpic)]);
  return html`
    ${table(['variant', 'seeds', 'mean Pearson between its seeds', 'mean EPIC distance between its seeds'], rows, [1, 2, 3])}
    ${await chart(betweenVariantsSpec(evaluation), 'Mean Pearson correlation of the recovered rewards on the test texts between the runs of two variants (on the diagonal: between different seeds of one variant; empty for a variant with one run).')}
    ${await chart(runByRunSpec(evaluation), 'Pearson correlation between every two runs on the test texts (evaluate/similarity.json, which also holds Spearman and EPIC).')}`;
});
