/** Small text helpers shared by the schemas and curation: words, normalisation, name suggestions. */

/** The [start, end) character ranges of the whitespace-separated words of text. */
export function wordSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const match of text.matchAll(/\S+/gu)) spans.push([match.index, match.index + match[0].length]);
  return spans;
}

export function countWords(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(/\S+/gu)) count++;
  return count;
}

/**
 * The key two texts must share to count as duplicates: Unicode NFKC, lower case, runs of
 * whitespace collapsed to one space, trimmed.
 */
export function normaliseForDedupe(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * Prompt and continuation as one text. Data sets that split a sentence mid-way (RealToxicityPrompts)
 * keep the whitespace in the continuation, so the parts are joined as they are; when neither side
 * has whitespace at the seam (prompt "Hello", continuation "world") one space is put between them.
 */
export function joinPromptContinuation(prompt: string, continuation: string): string {
  if (prompt === '' || continuation === '' || /\s$/u.test(prompt) || /^\s/u.test(continuation)) return prompt + continuation;
  return `${prompt} ${continuation}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate closest to name (case-insensitive edit distance; a candidate that contains the
 * name or is contained in it counts as close), or undefined when nothing is reasonably close.
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    if (lower === '') continue;
    let score = editDistance(wanted, lower);
    if (lower.includes(wanted) || wanted.includes(lower)) score = Math.min(score, Math.abs(lower.length - wanted.length) * 0.5);
    if (score < bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  const limit = Math.max(2, Math.ceil(wanted.length / 2));
  return best !== undefined && bestScore <= limit ? best : undefined;
}
