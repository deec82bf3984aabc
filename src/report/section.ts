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

/** A section from its anchor id, title, the stages it needs, and how it renders. */
export function defineSection(id: string, title: string, needs: readonly string[], render: Section['render']): Section {
  return { id, title, needs, render };
}

/** A table; `numeric` columns are right-aligned; a null header leaves the head out (a table of names and values). */
export function table(header: readonly HtmlValue[] | null, rows: readonly (readonly HtmlValue[])[], numeric: readonly number[] = []): Html {
  const cell = (tag: 'th' | 'td', value: HtmlValue, i: number) =>
    numeric.includes(i) ? html`<${tag} class="num">${value}</${tag}>` : html`<${tag}>${value}</${tag}>`;
  return html`<table>${header ? html`<thead><tr>${header.map((value, i) => cell('th', value, i))}</tr></thead>` : ''}<tbody>${rows.map(
    (row) => html`<tr>${row.map((value, i) => cell('td', value, i))}</tr>`,
  )}</tbody></table>`;
}
