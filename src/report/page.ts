/**
 * The report page: every section in pipeline order, in one self-contained HTML file (inline CSS
 * and SVG, no script, no link to anything outside it) that reads on screen and prints on paper.
 */
import { html, type Html } from './html.js';
import type { RunModel } from './run-model.js';
import type { Section } from './section.js';
import { confusionSection } from './sections/confusion.js';
import { disagreementsSection } from './sections/disagreements.js';
import { groundTruthSection } from './sections/ground-truth.js';
import { irlMetricsSection } from './sections/irl-metrics.js';
import { provenanceSection } from './sections/provenance.js';
import { reuseBenchmarkSection, reuseCurvesSection } from './sections/reuse.js';
import { rlhfSection } from './sections/rlhf.js';
import { scatterSection } from './sections/scatter.js';
import { similaritySection } from './sections/similarity.js';
import { summarySection } from './sections/summary.js';

export const SECTIONS: readonly Section[] = [
  summarySection,
  provenanceSection,
  groundTruthSection,
  rlhfSection,
  irlMetricsSection,
  confusionSection,
  scatterSection,
  similaritySection,
  disagreementsSection,
  reuseBenchmarkSection,
  reuseCurvesSection,
];

const STYLE = html`
  :root { color-scheme: light; }
  body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #1a1a1a; background: #fff; max-width: 1120px; margin: 0 auto; padding: 24px; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  h2 { font-size: 19px; margin: 36px 0 10px; padding-top: 8px; border-top: 2px solid #333; }
  h3 { font-size: 15px; margin: 20px 0 6px; }
  nav ol { columns: 2; margin: 8px 0 0; }
  table { border-collapse: collapse; margin: 8px 0 14px; font-size: 12.5px; }
  th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { border-bottom: 2px solid #999; font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .ci, .muted { color: #666; font-size: 11.5px; }
  .not-run { background: #f6f6f6; border-left: 4px solid #bbb; padding: 8px 12px; }
  .text { max-width: 560px; overflow-wrap: anywhere; }
  ul.inputs { margin: 0; padding-left: 14px; }
  ul.findings li { margin-bottom: 6px; }
  code { font: 12px/1.3 Menlo, Consolas, monospace; overflow-wrap: anywhere; }
  pre.config { font: 11px/1.35 Menlo, Consolas, monospace; columns: 3 240px; column-rule: 1px solid #eee; background: #fafafa; border: 1px solid #eee; padding: 8px; white-space: pre-wrap; }
  figure { margin: 10px 0 18px; }
  figure svg { max-width: 100%; height: auto; }
  figcaption { color: #444; font-size: 12.5px; max-width: 900px; }
  @page { size: A4; margin: 14mm; }
  @media print {
    body { font-size: 11px; max-width: none; padding: 0; }
    h2 { break-after: avoid; page-break-after: avoid; }
    h3 { break-after: avoid; page-break-after: avoid; }
    figure, table, tr, .not-run, ul.findings li { break-inside: avoid; page-break-inside: avoid; }
    pre.config { background: none; }
    nav { display: none; }
  }
`;

export interface RenderedPage {
  html: string;
  /** Ids of the sections rendered. */
  sections: string[];
  /** Sections shown as "not run", with the stages they lack. */
  missing: { section: string; stages: string[] }[];
}

function notRun(stages: readonly string[]): Html {
  const names = stages.map((stage, i) => html`${i > 0 ? ', ' : ''}<code>${stage}</code>`);
  return html`<p class="not-run">Not run: this run folder has no completed ${names} stage${stages.length > 1 ? 's' : ''}, so there is nothing to show here yet.</p>`;
}

export async function renderPage(run: RunModel): Promise<RenderedPage> {
  const completed = new Set(run.stages.map((stage) => stage.name));
  const rendered: string[] = [];
  const missing: RenderedPage['missing'] = [];
  const bodies: Html[] = [];
  for (const section of SECTIONS) {
    const lacking = section.needs.filter((stage) => !completed.has(stage));
    if (lacking.length > 0) missing.push({ section: section.id, stages: lacking });
    else rendered.push(section.id);
    const body = lacking.length > 0 ? notRun(lacking) : await section.render(run);
    bodies.push(html`<section id="${section.id}"><h2>${section.title}</h2>${body}</section>`);
  }
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>irlens report: ${run.name}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>irlens report: ${run.name}</h1>
<p class="muted">Recovering the reward an RLHF’d model was trained on, by inverse RL, and how faithful it is. Drawn from the files of <code>${run.dir}</code>.</p>
<nav><ol>${SECTIONS.map((s) => html`<li><a href="#${s.id}">${s.title}</a>${missing.some((m) => m.section === s.id) ? html` <span class="muted">(not run)</span>` : ''}</li>`)}</ol></nav>
</header>
${bodies}
</body>
</html>
`;
  return { html: page.markup, sections: rendered, missing };
}
