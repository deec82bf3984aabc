/**
 * Building the page so that no text from the run can become markup: the `html` template escapes
 * every value put into it, unless that value is itself markup (an Html, made by `html` or, for
 * charts' SVG, by trustedMarkup). Prompts and continuations are arbitrary strings, so this is the
 * only way text enters the page.
 */

export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** What may go into `html`: markup as is, text escaped, lists one after the other; null and undefined as nothing. */
export type HtmlValue = Html | string | number | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Markup taken as it is: only for SVG that the charting library wrote (it escapes the text it draws). */
export function trustedMarkup(markup: string): Html {
  return new Html(markup);
}
