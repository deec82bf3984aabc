/**
 * A strip plot of a figure's distribution over seeds: every seed's value as a dot, the mean as a
 * bar and its 95% interval as a line, one row per variant or policy, one panel per figure (each
 * with its own scale), and a dashed line where chance or "no effect" lies.
 */
import type { TopLevelSpec } from 'vega-lite';
import { grid, type PanelSpec } from '../charts.js';

export interface StripSeed {
  panel: string;
  row: string;
  value: number;
  /** Colours the dot: e.g. recovered reward vs control. */
  group: string;
}

export interface StripSummary {
  panel: string;
  row: string;
  mean: number;
  /** The 95% interval of the mean; null for a single run. */
  low: number | null;
  high: number | null;
}

export interface StripOptions {
  seeds: readonly StripSeed[];
  summaries: readonly StripSummary[];
  /** Where chance (or no effect) lies in a panel. */
  references: readonly { panel: string; value: number }[];
  panels: readonly string[];
  rows: readonly string[];
  groups: readonly { name: string; colour: string }[];
  columns: number;
}

function panelSpec(options: StripOptions, panel: string): PanelSpec {
  const mine = <T extends { panel: string }>(items: readonly T[]) => items.filter((item) => item.panel === panel);
  // Every panel lists every row, in the same order, even where a row has no figure.
  const y = { field: 'row', type: 'nominal' as const, title: null, scale: { domain: [...options.rows] } };
  return {
    width: 190,
    height: { step: 16 },
    layer: [
      { data: { values: mine(options.references) }, mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { x: { field: 'value', type: 'quantitative', title: null } } },
      {
        data: { values: mine(options.summaries).filter((s) => s.low !== null) },
        mark: { type: 'rule', color: '#222', strokeWidth: 1.5 },
        encoding: { y, x: { field: 'low', type: 'quantitative', title: null }, x2: { field: 'high' } },
      },
      {
        data: { values: mine(options.seeds) },
        mark: { type: 'circle', size: 26, opacity: 0.6 },
        encoding: {
          y,
          x: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
          color: { field: 'group', type: 'nominal', title: null, scale: { domain: options.groups.map((g) => g.name), range: options.groups.map((g) => g.colour) } },
        },
      },
      { data: { values: mine(options.summaries) }, mark: { type: 'tick', color: '#222', thickness: 2, size: 12 }, encoding: { y, x: { field: 'mean', type: 'quantitative', title: null } } },
    ],
  };
}

export function stripSpec(options: StripOptions): TopLevelSpec {
  return grid(options.panels.map((panel) => ({ title: panel, spec: panelSpec(options, panel) })), options.columns);
}
