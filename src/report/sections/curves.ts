/**
 * PPO training curves, one line per seed: the logged rounds of metrics.jsonl, one panel per
 * measure (each with its own scale), and for reuse one row of panels per policy.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CurvePoint } from '../run-model.js';

/** A measure to plot: its panel title and how to read it off a logged round. */
export interface CurveMeasure {
  title: string;
  value(point: CurvePoint): number | null;
}

export function curvesSpec(points: readonly CurvePoint[], measures: readonly CurveMeasure[], byPolicy: boolean): TopLevelSpec {
  const values = points.flatMap((point) =>
    measures.flatMap((measure) => {
      const value = measure.value(point);
      return value === null ? [] : [{ policy: point.policy ?? '', seed: `seed ${point.seed}`, step: point.step, measure: measure.title, value }];
    }),
  );
  const titles = measures.map((m) => m.title);
  return {
    data: { values },
    facet: {
      column: { field: 'measure', type: 'nominal', title: null, sort: titles },
      // Policies in the order they were trained, which is the order reuse/summary.json lists them.
      ...(byPolicy ? { row: { field: 'policy', type: 'nominal' as const, title: null, sort: [...new Set(points.map((p) => p.policy ?? ''))] } } : {}),
    },
    spec: {
      width: byPolicy ? 300 : 210,
      height: 150,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'PPO step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'seed', type: 'nominal', title: 'PPO seed' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
