/**
 * Charts as inline SVG drawn on the server: a Vega-Lite spec is compiled to Vega and rendered
 * headless to an SVG string, so the page needs no script and no network to be read or printed.
 */
import { Error as VegaErrorLevel, View, parse } from 'vega';
import { compile, type Config, type TopLevelSpec } from 'vega-lite';
import { html, trustedMarkup, type Html, type HtmlValue } from './html.js';

/** Shared looks: fonts every printer has, and no ARIA per mark (it would double the file's size). */
const CHART_CONFIG: Config = {
  aria: false,
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', labelLimit: 220 },
  header: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
  legend: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal' },
  view: { stroke: '#bbb' },
};

/** A spec Vega-Lite warns about is a mistake in the report's code, not in the run: it fails loudly. */
const strictLogger = {
  level: () => strictLogger,
  info: () => strictLogger,
  debug: () => strictLogger,
  warn: (...args: readonly unknown[]): never => {
    throw new Error(`vega-lite: ${args.join(' ')}`);
  },
  error: (...args: readonly unknown[]): never => {
    throw new Error(`vega-lite: ${args.join(' ')}`);
  },
};

/** The chart's SVG markup, ready to sit inline in an HTML page. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vegaSpec } = compile(spec, { config: CHART_CONFIG, logger: strictLogger });
  const view = new View(parse(vegaSpec), { renderer: 'none', logLevel: VegaErrorLevel });
  try {
    return inlineSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/**
 * HTML puts an inline <svg> in the SVG namespace by itself, so the root's namespace declarations
 * go: the page then holds no URL of any kind. role="img" lets a screen reader take the figure whole.
 */
function inlineSvg(svg: string): string {
  return svg.replace(/^<svg([^>]*)>/, (_, attributes: string) => `<svg${attributes.replace(/\s+xmlns(:\w+)?="[^"]*"/g, '')} role="img">`);
}

/** One chart of a grid: what Vega-Lite's `concat` takes (its own data, scales and axes). */
export type PanelSpec = Extract<TopLevelSpec, { concat: unknown }>['concat'][number];

/**
 * Panels in rows of `columns`, each with its own scales and axes and a small title; colour scales
 * stay shared, so one legend serves all. (A wrapped facet would draw stray axes under a short last row.)
 */
export function grid(panels: readonly { title: string; spec: PanelSpec }[], columns: number): TopLevelSpec {
  return {
    columns,
    spacing: { row: 18, column: 22 },
    concat: panels.map(({ title, spec }) => ({ ...spec, title: { text: title, fontSize: 11, fontWeight: 'normal' } }) as PanelSpec),
  };
}

/** A chart in a figure with its caption. */
export async function chart(spec: TopLevelSpec, caption: HtmlValue): Promise<Html> {
  return html`<figure class="chart">${trustedMarkup(await renderSvg(spec))}<figcaption>${caption}</figcaption></figure>`;
}
