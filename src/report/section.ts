/**
 * A section of the report: what it shows, the stages it needs, and how it renders. The page shows
 * a section whose stages have not all completed as "not run" instead of rendering it.
 */
import { html, type Html, type HtmlValue } from './html.js';
import type { RunModel } from './run-model.js';

export interface Section {
  /** The anchor on the page and the name in the report's summary.json. */
  id: string;
  title: string;
  /** Stages whose outputs it shows. */
  needs: readonly string[];
  render(run: RunModel): Promise<Html> | Html;
}

/** A table; `numeric` columns are right-aligned. */
export function table(header: readonly HtmlValue[], rows: readonly (readonly HtmlValue[])[], numeric: readonly number[] = []): Html {
  const align = (i: number) => (numeric.includes(i) ? 'num' : null);
  return html`<table><thead><tr>${header.map((cell, i) => html`<th class="${align(i)}">${cell}</th>`)}</tr></thead><tbody>${rows.map(
    (row) => html`<tr>${row.map((cell, i) => html`<td class="${align(i)}">${cell}</td>`)}</tr>`,
  )}</tbody></table>`;
}
