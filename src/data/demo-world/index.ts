/** The offline demo world: Moby-Dick sentences in a clean and an abusive register, built deterministically per seed. */
export { bookParagraphs, bookSentences, isUsableSentence, mobyDickChapters, splitSentences, type BookParagraph, type BookSentence, type SentenceFilter } from './book.js';
export {
  BENIGN_ADJECTIVES,
  BENIGN_INTERJECTIONS,
  BENIGN_NOUNS,
  DemoLexiconError,
  INSULT_ADJECTIVES,
  INSULT_INTERJECTIONS,
  INSULT_NOUNS,
  abusiveLexicon,
  lexiconWeights,
  type LexiconEntry,
} from './lexicon.js';
export { TEMPLATES, containsAbuse, variantsOf, type Template, type Variants } from './register.js';
export {
  DemoWorldError,
  SENTENCES_PER_SIZE,
  WORLD_SIZES,
  asContinuation,
  buildDemoWorld,
  describeWorld,
  type Comment,
  type DemoWorld,
  type DemoWorldOptions,
  type LabelledText,
  type WorldSentence,
  type WorldSize,
} from './world.js';
export { WORLD_FILES, writeDemoWorld } from './write.js';
