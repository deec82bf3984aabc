import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSafetensors } from '../../src/io/safetensors.js';
import { loadModel } from '../../src/models/load.js';
import { CachedReward, ClassifierReward, LexiconReward, RewardError, ShapedReward, type SequenceClassifier } from '../../src/reward/index.js';
import { Tokenizer } from '../../src/text/tokenizer.js';
import * as T from '../../src/tensor/index.js';
import { fixture, readJson } from '../helpers/fixtures.js';

describe('lexicon reward', () => {
  it('costs each listed whole word its weight, case-insensitively', () => {
    const reward = new LexiconReward({ idiot: 2, stupid: 1 });
    assert.deepEqual(reward.score(['What a STUPID idiot, idiot!', 'idiotic but fine', '']).scores, [-5, -0, -0]);
  });

  it('refuses weights that are not finite and entries that are not words', () => {
    assert.throws(() => new LexiconReward({ bad: Number.NaN }), RewardError);
    assert.throws(() => new LexiconReward({ 'two words': 1 }), RewardError);
  });
});

describe('shaped reward', () => {
  it("is score(prompt + sample) − score(prompt + reference), the paper's shaping", () => {
    const shaped = new ShapedReward(new LexiconReward({ idiot: 1 }));
    const result = shaped.score([
      { prompt: 'you are ', sample: 'kind', reference: 'an idiot' },
      { prompt: 'idiot ', sample: 'idiot idiot', reference: 'ok' },
    ]);
    assert.deepEqual(result.scores, [0 - -1, -3 - -1]);
  });
});

describe('cached reward', () => {
  it('scores each distinct text once and returns scores in input order', () => {
    const base = new LexiconReward({ bad: 1 });
    let calls = 0;
    const counting = { name: base.name, score: (texts: readonly string[]) => ((calls += texts.length), base.score(texts)) };
    const cached = new CachedReward(counting);
    assert.deepEqual(cached.score(['bad', 'good', 'bad']).scores, [-1, -0, -1]);
    assert.deepEqual(cached.score(['good', 'bad bad']).scores, [-0, -2]);
    assert.equal(calls, 3, 'bad, good, then only "bad bad" was new');
  });
});

describe('classifier reward on the RoBERTa fixture', () => {
  const folder = fixture('roberta-tiny-classifier');
  const golden = readSafetensors(`${folder}/golden.safetensors`);
  const texts = readJson<{ texts: string[] }>(`${folder}/golden.json`).texts;
  const goldenLogits = golden.get('logits')!.data as Float32Array;
  const { model } = loadModel(folder);
  const classifier = model as unknown as SequenceClassifier;
  const tokenizer = Tokenizer.fromFolder(folder);
  const classes = classifier.config.numLabels;
  const logit = (row: number, label: number) => goldenLogits[row * classes + label]!;
  const logP = (row: number, label: number) => {
    const values = Array.from({ length: classes }, (_, c) => logit(row, c));
    const max = Math.max(...values);
    return logit(row, label) - (max + Math.log(values.reduce((s, v) => s + Math.exp(v - max), 0)));
  };

  it("−logit[label] matches transformers' logits on the golden texts", () => {
    const reward = new ClassifierReward(classifier, tokenizer, { label: 1, batchSize: 3 });
    reward.score(texts).scores.forEach((s, row) => assert.ok(Math.abs(s + logit(row, 1)) < 1e-4, `row ${row}: ${s} vs ${-logit(row, 1)}`));
  });

  it('−P(label) and the log-odds against the label', () => {
    const negProb = new ClassifierReward(classifier, tokenizer, { label: 1, score: 'negative-probability' }).score(texts).scores;
    const logOdds = new ClassifierReward(classifier, tokenizer, { label: 1, score: 'log-odds' }).score(texts).scores;
    texts.forEach((_, row) => {
      assert.ok(Math.abs(negProb[row]! + Math.exp(logP(row, 1))) < 1e-5);
      assert.ok(Math.abs(logOdds[row]! - (Math.log(1 - Math.exp(logP(row, 1))) - logP(row, 1))) < 1e-4);
    });
  });

  it('classify: one forward pass per batch, its input and output tensors freed, and the same numbers as score', () => {
    const passes: Array<{ inputIds: T.Tensor; attentionMask?: T.Tensor; logits: T.Tensor }> = [];
    const counting: SequenceClassifier = {
      config: classifier.config,
      forward: (inputs) => {
        const { logits } = classifier.forward(inputs);
        passes.push({ ...inputs, logits });
        return { logits };
      },
    };
    const result = new ClassifierReward(counting, tokenizer, { label: 1, score: 'negative-logit', batchSize: 3 }).classify(texts);
    assert.equal(passes.length, Math.ceil(texts.length / 3), 'one forward pass per batch of 3');
    for (const pass of passes) {
      for (const tensor of [pass.inputIds, pass.attentionMask!, pass.logits]) assert.throws(() => tensor.toArray(), T.DisposedTensorError);
    }
    result.scores.forEach((s, row) => assert.ok(Math.abs(s + logit(row, 1)) < 1e-4));
    result.probabilities.forEach((p, row) => p.forEach((value, label) => assert.ok(Math.abs(Math.log(value) - logP(row, label)) < 1e-4)));
  });

  it('names labels by id2label and refuses an unknown one, listing those that exist', () => {
    const names = Object.values(classifier.config.id2label);
    assert.doesNotThrow(() => new ClassifierReward(classifier, tokenizer, { label: names[0]! }));
    assert.throws(() => new ClassifierReward(classifier, tokenizer, { label: 'no-such-label' }), (e: Error) => e instanceof RewardError && e.message.includes(names[0]!));
    assert.throws(() => new ClassifierReward(classifier, tokenizer, { label: 7 }), RewardError);
  });
});
