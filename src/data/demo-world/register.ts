/**
 * Two registers of the same sentences. A sentence from the book gets an abusive variant by
 * weaving profanity into it with one of a few templates — a vocative at the end ("Call me
 * Ishmael, you stupid bastard."), an interjection in front, a profane adjective before a noun,
 * an insulting apposition after a noun, or an insult in place of a noun — and a benign variant by
 * the same template with harmless words ("Call me Ishmael, you old shipmate."). So the clean and
 * toxic texts share the book's style and the templates' shapes: only the words differ, and a
 * classifier has to learn the words.
 */
import type { Rng } from '../../nn/rng.js';
import {
  BENIGN_ADJECTIVES,
  BENIGN_INTERJECTIONS,
  BENIGN_NOUNS,
  INSULT_ADJECTIVES,
  INSULT_INTERJECTIONS,
  INSULT_NOUNS,
} from './lexicon.js';

export const TEMPLATES = ['vocative', 'interjection', 'adjective', 'apposition', 'noun'] as const;
export type Template = (typeof TEMPLATES)[number];

export interface Words {
  nouns: readonly string[];
  adjectives: readonly string[];
  interjections: readonly string[];
}

export const ABUSIVE_WORDS: Words = { nouns: INSULT_NOUNS, adjectives: INSULT_ADJECTIVES, interjections: INSULT_INTERJECTIONS };
export const BENIGN_WORDS: Words = { nouns: BENIGN_NOUNS, adjectives: BENIGN_ADJECTIVES, interjections: BENIGN_INTERJECTIONS };

/** Where a template can act in a sentence: the template and a function that applies it with given words. */
interface Site {
  template: Template;
  apply(words: Words, rng: Rng): string;
}

const pick = <T>(list: readonly T[], rng: Rng): T => list[rng.int(list.length)]!;
const article = (next: string) => (/^[aeiou]/i.test(next) ? 'an' : 'a');

const DETERMINED_NOUN = /\b(the|his|her|my|your|their|our|this|that) ([a-z]{3,})(?=[,;]| was | is | had | has | were )/g;
const DETERMINER = /\b(the|a|an|his|her|my|your|their|our|this) ([a-z]{3,})\b/g;

/** The places in `sentence` where each template applies: one site per template and position. */
function sites(sentence: string, lowerCase: ReadonlySet<string>): Site[] {
  const out: Site[] = [];
  const end = /^(.*[^,;:\-—\s])([.!?])("?)$/.exec(sentence);
  if (end !== null && !end[1]!.endsWith('"')) {
    const [, body, mark, quote] = end;
    out.push({ template: 'vocative', apply: (w, rng) => `${body}, you ${pick(w.adjectives, rng)} ${pick(w.nouns, rng)}${mark}${quote}` });
  }
  const first = /^(["(]?)([A-Za-z]+)(.*)$/.exec(sentence);
  if (first !== null && (lowerCase.has(first[2]!.toLowerCase()) || first[2] === 'I')) {
    const [, opening, word, rest] = first;
    const lowered = word === 'I' ? word : word!.toLowerCase();
    out.push({ template: 'interjection', apply: (w, rng) => `${opening}${pick(w.interjections, rng)}, ${lowered}${rest}` });
  }
  for (const m of sentence.matchAll(DETERMINER)) {
    out.push({
      template: 'adjective',
      apply: (w, rng) => {
        const adjective = pick(w.adjectives, rng);
        const determiner = m[1] === 'a' || m[1] === 'an' ? article(adjective) : m[1]!;
        return `${sentence.slice(0, m.index)}${determiner} ${adjective} ${m[2]}${sentence.slice(m.index! + m[0].length)}`;
      },
    });
  }
  for (const m of sentence.matchAll(DETERMINED_NOUN)) {
    const after = m.index! + m[0].length;
    out.push({
      template: 'apposition',
      apply: (w, rng) => {
        const rest = sentence.slice(after);
        const close = rest.startsWith(';') ? '' : ',';
        return `${sentence.slice(0, after)}, that ${pick(w.adjectives, rng)} ${pick(w.nouns, rng)}${close}${rest.replace(/^,/, '')}`;
      },
    });
    out.push({ template: 'noun', apply: (w, rng) => `${sentence.slice(0, m.index)}${m[1]} ${pick(w.nouns, rng)}${sentence.slice(after)}` });
  }
  return out;
}

export interface Variants {
  template: Template;
  /** The sentence with profanity woven in. */
  abusive: string;
  /** The sentence shaped by the same template with harmless words. */
  benign: string;
}

/**
 * An abusive and a benign variant of `sentence` by one template chosen at random among those that
 * apply; undefined when none applies. `lowerCase` holds the words that may be lower-cased at the
 * start of a sentence (so "Queequeg" stays capitalised after "Shit, ").
 */
export function variantsOf(sentence: string, rng: Rng, lowerCase: ReadonlySet<string>): Variants | undefined {
  const available = sites(sentence, lowerCase);
  if (available.length === 0) return undefined;
  // A template first (each equally likely), then one of its positions: the same site for both registers.
  const template = pick([...new Set(available.map((site) => site.template))], rng);
  const site = pick(available.filter((candidate) => candidate.template === template), rng);
  const abusive = site.apply(ABUSIVE_WORDS, rng.fork('abusive'));
  const benign = site.apply(BENIGN_WORDS, rng.fork('benign'));
  return { template: site.template, abusive, benign };
}

/** Whether a text contains any of the abusive words (whole words, any case). */
export function containsAbuse(text: string): boolean {
  const words = new Set([...INSULT_NOUNS, ...INSULT_ADJECTIVES, 'shit', 'fuck', 'bullshit']);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) if (words.has(word)) return true;
  return false;
}
