/**
 * Every path that scores text with a classifier cuts it the same way, to what the classifier
 * reads (models/input-length.ts, from the tokenizer's side), and so agrees with a direct forward
 * pass over that window: ClassifierReward (score and classify), the base-toxicity stage's
 * groundTruthToxicity and `irlens score`. Checked at the window's edge, window − 1, window and
 * window + 1 tokens (special tokens included), on the RoBERTa fixture, whose window is
 * max_position_embeddings − padding_idx − 1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScoreResult } from '../../src/cli/commands/score.js';
import { ModelInputError } from '../../src/models/errors.js';
import { maxInputTokens } from '../../src/models/input-length.js';
import { loadClassifier } from '../../src/models/load.js';
import { groundTruthToxicity } from '../../src/pipeline/stages/toxicity.js';
import { ClassifierReward, RewardError } from '../../src/reward/index.js';
import * as T from '../../src/tensor/index.js';
import { Tokenizer } from '../../src/text/index.js';
import { describeRun, irlens } from '../cli/helpers.js';
import { fixture } from '../helpers/fixtures.js';

const TOXIC = 1;
/** The paths compute what the direct pass computes; the fixture's P(toxic) moves by about 2e-6 when one token changes. */
const TOLERANCE = 2e-7;

const folder = fixture('roberta-tiny-classifier');
const tokenizer = Tokenizer.fromFolder(folder);
const classifier = loadClassifier(folder).model;
const window = maxInputTokens(classifier.config, tokenizer);
const [start, end] = [tokenizer.encode('')[0]!, tokenizer.encode('').at(-1)!];

/** A text of exactly `length` tokens with its special tokens, abusive at both ends, so that cutting either end shows. */
function textOfLength(length: number): string {
  let text = 'idiot';
  while (tokenizer.encode(`${text} stupid`).length < length) text += ' a';
  text += ' stupid';
  assert.equal(tokenizer.encode(text).length, length, `could not build a text of ${length} tokens`);
  return text;
}

type Cut = (ids: number[], keep: number) => number[];
/** transformers' cut: the text's first tokens, between the start and end tokens. */
const keepFirst: Cut = (ids, keep) => (ids.length <= keep ? ids : [...ids.slice(0, keep - 1), end]);
const keepLast: Cut = (ids, keep) => (ids.length <= keep ? ids : [start, ...ids.slice(ids.length - keep + 1)]);

/** P(toxic) from one forward pass over the text cut to `keep` tokens (by default the window, as transformers cuts it). */
function directToxicity(text: string, cut = keepFirst, keep = window): number {
  const ids = cut(tokenizer.encode(text), keep);
  return T.noGrad(() => T.tidy(() => T.softmax(classifier.forward({ inputIds: T.idTensor([ids]) }).logits).data[TOXIC]!));
}

const lengths = [window - 1, window, window + 1];
const texts = lengths.map(textOfLength);

describe(`the classifier's window (${window} tokens for the RoBERTa fixture)`, () => {
  it('is max_position_embeddings − padding_idx − 1, the longest row the model accepts', () => {
    assert.equal(window, classifier.config.maxPositionEmbeddings - classifier.config.padTokenId! - 1);
    const row = (length: number) => [start, ...new Array<number>(length - 2).fill(tokenizer.encode('a', { addSpecialTokens: false })[0]!), end];
    assert.doesNotThrow(() => T.noGrad(() => classifier.forward({ inputIds: T.idTensor([row(window)]) })));
    assert.throws(() => T.noGrad(() => classifier.forward({ inputIds: T.idTensor([row(window + 1)]) })), ModelInputError);
  });

  const expected = texts.map((text) => directToxicity(text));

  it('tells cuts apart: one token fewer, or the other end cut, moves P(toxic) by well over the tolerance', () => {
    const moved = (a: number, b: number) => Math.abs(a - b) > 5 * TOLERANCE;
    assert.ok(moved(directToxicity(texts[1]!, keepFirst, window - 1), expected[1]!), 'window tokens vs one fewer');
    assert.ok(moved(directToxicity(texts[2]!, keepFirst, window - 1), expected[2]!), 'window + 1 tokens: one fewer');
    assert.ok(moved(directToxicity(texts[2]!, keepLast), expected[2]!), 'window + 1 tokens: the start cut instead of the end');
  });

  it('ClassifierReward (score and classify) agrees with the direct forward at window − 1, window and window + 1', () => {
    const reward = new ClassifierReward(classifier, tokenizer, { label: 'toxic', score: 'negative-probability', batchSize: 2 });
    assert.equal(reward.maxLength, window);
    const scored = reward.score(texts).scores.map((score) => -score);
    const classified = reward.classify(texts).probabilities.map((row) => row[TOXIC]!);
    lengths.forEach((length, i) => {
      assert.ok(Math.abs(scored[i]! - expected[i]!) < TOLERANCE, `${length} tokens: score ${scored[i]} vs direct ${expected[i]}`);
      assert.ok(Math.abs(classified[i]! - expected[i]!) < TOLERANCE, `${length} tokens: classify ${classified[i]} vs direct ${expected[i]}`);
    });
  });

  it("the base-toxicity stage's scoring agrees with the direct forward", () => {
    const stage = groundTruthToxicity(folder, 'toxic')(texts);
    lengths.forEach((length, i) => assert.ok(Math.abs(stage[i]! - expected[i]!) < TOLERANCE, `${length} tokens: stage ${stage[i]} vs direct ${expected[i]}`));
  });

  it('`irlens score` agrees with the direct forward', async () => {
    const run = await irlens(['score', folder, ...texts, '--json']);
    assert.equal(run.code, 0, describeRun(run));
    const result = JSON.parse(run.stdout) as ScoreResult;
    assert.ok(result.scorer.kind === 'classifier' && result.scorer.maxLength === window);
    lengths.forEach((length, i) => {
      const toxic = result.results[i]!.probabilities!.toxic!;
      assert.ok(Math.abs(toxic - expected[i]!) < TOLERANCE, `${length} tokens: irlens score ${toxic} vs direct ${expected[i]}`);
    });
  });

  it('a shorter maxLength is honoured and a longer one refused, naming the window', () => {
    assert.equal(new ClassifierReward(classifier, tokenizer, { label: 'toxic', maxLength: 16 }).maxLength, 16);
    assert.throws(() => new ClassifierReward(classifier, tokenizer, { label: 'toxic', maxLength: window + 1 }), (error: unknown) =>
      error instanceof RewardError && error.message.includes(`1 to ${window} tokens`));
  });
});
