/**
 * The demo world: a small, seeded, offline stand-in for the paper's data. Sentences from
 * Moby-Dick, each in three renderings — the book's own (clean), with profanity woven in
 * (abusive), and shaped by the same template with harmless words (benign) — from which it builds
 *
 * - a pretraining corpus for the base LM: passages of consecutive sentences, mostly clean, where a
 *   fraction of passages are spoken in the abusive register (several of their sentences abusive),
 *   so that a model trained on it continues SOME prompts abusively, more so after abuse;
 * - the rest of the training paragraphs' prose, in the book's own words: the register's sentences
 *   are only a quarter of the book, too little for the base LM to learn its English from;
 * - a held-out corpus rendered the same way from held-out sentences, once, to measure the base
 *   LM's loss on text it has not seen (the corpus renders each training sentence several times);
 * - labelled texts for the ground-truth classifier: every training sentence abusive (1) and clean
 *   or benign (0), as written or as a continuation shows it; its held-out test is the clean and
 *   abusive forms of held-out sentences, so the accuracy it reports is measured within one
 *   register, on the same sentences;
 * - Jigsaw-style comments (two consecutive held-out sentences, labelled toxic when either is
 *   abusive), to curate prompts from.
 *
 * Sentences are split into train and test by paragraph: nothing of a held-out paragraph is in the
 * corpus or the classifier's training data. Everything is drawn from one seeded generator, so the
 * same options give the same world.
 */
import { Rng } from '../../nn/rng.js';
import { bookParagraphs, bookSentences, isUsableSentence, lowerCaseWords, type BookSentence } from './book.js';
import { abusiveLexicon, type LexiconEntry } from './lexicon.js';
import { containsAbuse, variantsOf, type Template } from './register.js';

export const WORLD_SIZES = ['tiny', 'small'] as const;
export type WorldSize = (typeof WORLD_SIZES)[number];

/** How many sentences each size draws from the book. */
export const SENTENCES_PER_SIZE: Record<WorldSize, number> = { tiny: 600, small: 4000 };

export interface DemoWorldOptions {
  size: WorldSize;
  seed: number | string;
  /** Fraction of paragraphs held out (their sentences make the test pairs and the comments). Default 0.2. */
  testFraction?: number;
  /** Fraction of corpus passages spoken in the abusive register. Default 0.3. */
  abusivePassageFraction?: number;
  /** In an abusive passage, the chance that each sentence is abusive (at least one always is). Default 0.6. */
  abusiveSentenceRate?: number;
  /** Chance that a clean sentence of the corpus appears in its benign shape. Default 0.25. */
  benignRate?: number;
  /** How many times the corpus renders the training sentences (each time drawn afresh). Default 3. */
  corpusRenderings?: number;
  /** Whether to gather the training paragraphs' other sentences as prose (else prose is empty). Default true. */
  bookProse?: boolean;
  /** Sentences per corpus passage, [min, max]. Default [2, 5]. */
  passageSentences?: [number, number];
  /** Shortest and longest sentence kept, in words. Default [6, 24]. */
  sentenceWords?: [number, number];
}

export interface WorldSentence {
  id: string;
  split: 'train' | 'test';
  chapter: number;
  paragraph: number;
  template: Template;
  clean: string;
  abusive: string;
  benign: string;
}

export interface LabelledText {
  text: string;
  /** 1 abusive, 0 not. */
  label: 0 | 1;
  split: 'train' | 'test';
  /** The sentence it renders: the clean and abusive test texts of one sentence share it. */
  sentence: string;
  form: 'clean' | 'abusive' | 'benign';
}

export interface Comment {
  id: string;
  text: string;
  label: 0 | 1;
}

export interface DemoWorld {
  options: Required<DemoWorldOptions>;
  sentences: WorldSentence[];
  /** Pretraining documents (passages), in the order drawn. */
  corpus: string[];
  /** More pretraining documents: the training paragraphs' other sentences, one document per paragraph. */
  prose: string[];
  /** Passages of held-out sentences, rendered like the corpus: the base LM's held-out text. */
  heldOutCorpus: string[];
  /** How many corpus passages are abusive. */
  abusivePassages: number;
  labelled: LabelledText[];
  comments: Comment[];
  lexicon: LexiconEntry[];
}

/**
 * A sentence as a continuation shows it: after a space. A byte-level BPE gives a text's first word
 * another token ("Shit") than the same word after a space (" Shit"), and continuations start after one.
 */
export const asContinuation = (sentence: string): string => ` ${sentence}`;

export class DemoWorldError extends Error {
  override name = 'DemoWorldError';
}

function withDefaults(options: DemoWorldOptions): Required<DemoWorldOptions> {
  const filled: Required<DemoWorldOptions> = {
    size: options.size,
    seed: options.seed,
    testFraction: options.testFraction ?? 0.2,
    abusivePassageFraction: options.abusivePassageFraction ?? 0.3,
    abusiveSentenceRate: options.abusiveSentenceRate ?? 0.6,
    benignRate: options.benignRate ?? 0.25,
    corpusRenderings: options.corpusRenderings ?? 3,
    bookProse: options.bookProse ?? true,
    passageSentences: options.passageSentences ?? [2, 5],
    sentenceWords: options.sentenceWords ?? [6, 24],
  };
  if (!WORLD_SIZES.includes(filled.size)) throw new DemoWorldError(`demo world size must be one of ${WORLD_SIZES.join(', ')}, got '${filled.size}'`);
  const fraction = (name: string, value: number, max = 1) => {
    if (!(value >= 0 && value <= max)) throw new DemoWorldError(`demo world: ${name} must be between 0 and ${max}, got ${value}`);
  };
  fraction('testFraction', filled.testFraction, 0.9);
  fraction('abusivePassageFraction', filled.abusivePassageFraction);
  fraction('abusiveSentenceRate', filled.abusiveSentenceRate);
  fraction('benignRate', filled.benignRate);
  if (!Number.isInteger(filled.corpusRenderings) || filled.corpusRenderings < 1) throw new DemoWorldError(`demo world: corpusRenderings must be an integer ≥ 1, got ${filled.corpusRenderings}`);
  const [low, high] = filled.passageSentences;
  if (!(Number.isInteger(low) && Number.isInteger(high) && low >= 1 && high >= low)) throw new DemoWorldError(`demo world: passageSentences must be [min, max] with 1 ≤ min ≤ max, got [${low}, ${high}]`);
  return filled;
}

/** Picks whole paragraphs at random until `count` sentences are drawn; returns them in book order. */
function drawSentences(all: readonly BookSentence[], count: number, rng: Rng): BookSentence[] {
  const byParagraph = new Map<number, BookSentence[]>();
  for (const sentence of all) byParagraph.set(sentence.paragraph, [...(byParagraph.get(sentence.paragraph) ?? []), sentence]);
  const paragraphs = rng.shuffle([...byParagraph.keys()].sort((a, b) => a - b));
  const chosen: BookSentence[] = [];
  for (const paragraph of paragraphs) {
    if (chosen.length >= count) break;
    chosen.push(...byParagraph.get(paragraph)!);
  }
  return chosen.slice(0, count).sort((a, b) => a.index - b.index);
}

/** Runs of consecutive sentences (within a chapter) of random lengths in [min, max]. */
function passages<T extends { chapter: number }>(items: readonly T[], [min, max]: [number, number], rng: Rng): T[][] {
  const out: T[][] = [];
  let at = 0;
  while (at < items.length) {
    const length = min + rng.int(max - min + 1);
    const run: T[] = [items[at]!];
    at++;
    while (run.length < length && at < items.length && items[at]!.chapter === run[0]!.chapter) run.push(items[at++]!);
    out.push(run);
  }
  return out;
}

/**
 * Corpus passages of the given sentences: a share of passages spoken in the abusive register (at
 * least one sentence abusive, others by abusiveSentenceRate), clean sentences sometimes benign.
 */
function renderPassages(sentences: readonly WorldSentence[], settings: Required<DemoWorldOptions>, rng: Rng): { texts: string[]; abusive: number } {
  const texts: string[] = [];
  let abusivePassages = 0;
  for (const passage of passages(sentences, settings.passageSentences, rng)) {
    const abusive = rng.uniform() < settings.abusivePassageFraction;
    const forced = abusive ? rng.int(passage.length) : -1;
    if (abusive) abusivePassages++;
    const text = passage.map((s, i) => {
      if (abusive && (i === forced || rng.uniform() < settings.abusiveSentenceRate)) return s.abusive;
      return rng.uniform() < settings.benignRate ? s.benign : s.clean;
    });
    texts.push(text.join(' '));
  }
  return { texts, abusive: abusivePassages };
}

/** Any length: the prose around the register's sentences is kept whole. */
const ANY_LENGTH = { minWords: 1, maxWords: Infinity };

/**
 * The sentences of the given paragraphs that the register does not use (too long, too short, or
 * without a template site), plain and free of the book's own swearing, joined per paragraph.
 */
function otherProse(paragraphs: ReadonlySet<number>, registerSentences: ReadonlySet<string>): string[] {
  const prose: string[] = [];
  for (const { paragraph, sentences } of bookParagraphs()) {
    if (!paragraphs.has(paragraph)) continue;
    const others = sentences.filter((text) => !registerSentences.has(text) && isUsableSentence(text, ANY_LENGTH) && !containsAbuse(text));
    if (others.length > 0) prose.push(others.join(' '));
  }
  return prose;
}

/** Builds the world. Deterministic: the same options give the same world. */
export function buildDemoWorld(options: DemoWorldOptions): DemoWorld {
  const settings = withDefaults(options);
  const rng = new Rng(settings.seed).fork('demo-world');
  const [minWords, maxWords] = settings.sentenceWords;
  const drawn = drawSentences(bookSentences({ minWords, maxWords }), SENTENCES_PER_SIZE[settings.size], rng.fork('draw'));
  const lowerCase = lowerCaseWords();

  // Train/test by paragraph.
  const paragraphs = [...new Set(drawn.map((s) => s.paragraph))];
  const testParagraphs = new Set(rng.fork('split').shuffle([...paragraphs]).slice(0, Math.round(paragraphs.length * settings.testFraction)));

  const variantRng = rng.fork('variants');
  const sentences: WorldSentence[] = [];
  for (const sentence of drawn) {
    // The book swears now and then ("Damn me, ..."): such sentences cannot serve as clean text.
    if (containsAbuse(sentence.text)) continue;
    const variants = variantsOf(sentence.text, variantRng, lowerCase);
    if (variants === undefined) continue;
    sentences.push({
      id: `s${String(sentence.index).padStart(5, '0')}`,
      split: testParagraphs.has(sentence.paragraph) ? 'test' : 'train',
      chapter: sentence.chapter,
      paragraph: sentence.paragraph,
      template: variants.template,
      clean: sentence.text,
      abusive: variants.abusive,
      benign: variants.benign,
    });
  }
  const train = sentences.filter((s) => s.split === 'train');
  const test = sentences.filter((s) => s.split === 'test');
  if (train.length === 0 || test.length === 0) throw new DemoWorldError(`demo world: the split left ${train.length} training and ${test.length} test sentences; change testFraction`);

  // The pretraining corpus, and held-out passages rendered the same way for the LM's held-out loss.
  const corpusRng = rng.fork('corpus');
  const corpus: string[] = [];
  let abusivePassages = 0;
  for (let rendering = 0; rendering < settings.corpusRenderings; rendering++) {
    const rendered = renderPassages(train, settings, corpusRng);
    corpus.push(...rendered.texts);
    abusivePassages += rendered.abusive;
  }
  const prose = settings.bookProse ? otherProse(new Set(train.map((s) => s.paragraph)), new Set(train.map((s) => s.clean))) : [];
  const heldOutCorpus = renderPassages(test, settings, rng.fork('held-out corpus')).texts;

  // The classifier's texts: train balanced (abusive vs clean-or-benign), test paired within the register.
  // Each training sentence is read as written, or as the continuations the classifier judges show
  // it: after a space (a continuation that starts with it), or after the last few words of the
  // (clean) sentence before it (one that runs past a sentence's end). Read as written only, the
  // classifier learnt "Shit" of a text's start, not " Shit" after a space, so the continuations it
  // judges could open sentences with any interjection unpunished.
  const labelRng = rng.fork('labelled');
  const readingRng = rng.fork('reading');
  const labelled: LabelledText[] = [];
  train.forEach((s, i) => {
    const reading = readingRng.int(3);
    const previous = train[i - 1]?.paragraph === s.paragraph ? train[i - 1]!.clean.split(' ') : [];
    const tail = reading === 2 && previous.length > 0 ? previous.slice(-1 - readingRng.int(6)).join(' ') : '';
    const read = (text: string) => (reading === 0 ? text : tail === '' ? asContinuation(text) : `${tail} ${text}`);
    labelled.push({ text: read(s.abusive), label: 1, split: 'train', sentence: s.id, form: 'abusive' });
    const benign = labelRng.uniform() < 0.5;
    labelled.push({ text: read(benign ? s.benign : s.clean), label: 0, split: 'train', sentence: s.id, form: benign ? 'benign' : 'clean' });
  });
  for (const s of test) {
    labelled.push({ text: s.clean, label: 0, split: 'test', sentence: s.id, form: 'clean' });
    labelled.push({ text: s.abusive, label: 1, split: 'test', sentence: s.id, form: 'abusive' });
    labelled.push({ text: s.benign, label: 0, split: 'test', sentence: s.id, form: 'benign' });
  }

  // Comments from held-out sentences: pairs of consecutive sentences, half of them toxic.
  const commentRng = rng.fork('comments');
  const comments: Comment[] = [];
  for (const pair of passages(test, [2, 2], commentRng)) {
    const toxic = commentRng.uniform() < 0.5;
    let abusive = pair.map(() => toxic && commentRng.uniform() < 0.7);
    if (toxic && !abusive.some(Boolean)) abusive = pair.map((_, i) => i === pair.length - 1);
    const text = pair.map((s, i) => (abusive[i] ? s.abusive : commentRng.uniform() < settings.benignRate ? s.benign : s.clean)).join(' ');
    comments.push({ id: `c${comments.length.toString().padStart(4, '0')}-${pair[0]!.id}`, text, label: toxic ? 1 : 0 });
  }

  return { options: settings, sentences, corpus, heldOutCorpus, abusivePassages, prose, labelled, comments, lexicon: abusiveLexicon() };
}

/** Counts for a summary. */
export function describeWorld(world: DemoWorld): Record<string, number | string> {
  const count = (predicate: (t: LabelledText) => boolean) => world.labelled.filter(predicate).length;
  return {
    size: world.options.size,
    sentences: world.sentences.length,
    trainSentences: world.sentences.filter((s) => s.split === 'train').length,
    testSentences: world.sentences.filter((s) => s.split === 'test').length,
    corpusPassages: world.corpus.length,
    heldOutCorpusPassages: world.heldOutCorpus.length,
    abusivePassages: world.abusivePassages,
    proseDocuments: world.prose.length,
    proseCharacters: world.prose.reduce((n, text) => n + text.length, 0),
    corpusCharacters: world.corpus.reduce((n, text) => n + text.length, 0),
    classifierTrain: count((t) => t.split === 'train'),
    classifierTest: count((t) => t.split === 'test'),
    comments: world.comments.length,
    toxicComments: world.comments.filter((c) => c.label === 1).length,
  };
}
