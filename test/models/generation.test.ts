import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadModel } from '../../src/models/load.js';
import { generate, generateText, GenerationError, type GenerationModel } from '../../src/models/generation.js';
import type { CausalLMInputs } from '../../src/models/causal-lm.js';
import { Rng } from '../../src/nn/index.js';
import { Tokenizer } from '../../src/text/index.js';
import * as T from '../../src/tensor/index.js';
import { fixture } from '../helpers/fixtures.js';
import { seededModel, tinyConfig } from '../helpers/tiny-gpt.js';

// Large initial weights give peaked next-token distributions, so greedy choices are not near-ties.
const model = seededModel(tinyConfig({ vocab_size: 64, hidden_size: 32, initializer_range: 0.3 }), 11);
const prompts = [[5, 9, 2, 40, 17, 3], [33], [8, 8, 1, 60]];

/** Greedy decoding by recomputing the whole sequence at every step, one prompt at a time. */
function greedyByRecompute(prompt: number[], steps: number): number[] {
  const ids = [...prompt];
  for (let s = 0; s < steps; s++) {
    const logits = T.tidy(() => T.noGrad(() => model.forward({ inputIds: T.idTensor([ids]) }).logits));
    const vocab = logits.shape[2]!;
    const last = Array.from(logits.data.subarray((ids.length - 1) * vocab));
    ids.push(last.indexOf(Math.max(...last)));
    logits.dispose();
  }
  return ids.slice(prompt.length);
}

/** log-softmax of a full forward over prompt + generated, at each generated token. */
function logProbsByRecompute(prompt: number[], generated: number[]): number[] {
  const ids = [...prompt, ...generated];
  const logProbs = T.noGrad(() => T.logSoftmax(model.forward({ inputIds: T.idTensor([ids]) }).logits, -1));
  const vocab = logProbs.shape[2]!;
  return generated.map((token, i) => logProbs.data[(prompt.length - 1 + i) * vocab + token]!);
}

/** A model whose next-token logits are always the same, so sampling rules can be checked exactly. */
function fixedLogitsModel(probabilities: number[]): GenerationModel {
  const logits = probabilities.map(Math.log);
  return {
    config: { numHiddenLayers: 1 },
    forward: (inputs: CausalLMInputs) => {
      const [batch, t] = inputs.inputIds.shape as [number, number];
      const rows = inputs.logitsFor === 'last' ? 1 : t;
      // Fill the one-layer cache as a real model would (generation checks that it is filled).
      const empty = T.zeros([batch, 1, t, 1]);
      inputs.cache?.extend(0, empty, empty);
      return { logits: T.tensor(Float32Array.from({ length: batch * rows * logits.length }, (_, i) => logits[i % logits.length]!), [batch, rows, logits.length]) };
    },
  };
}

const counts = (tokens: number[], vocab: number) => tokens.reduce((c, t) => (c[t]!++, c), new Array<number>(vocab).fill(0));

describe('generate', () => {
  it('greedy with a KV cache and left-padded batch equals greedy by full recomputation, token for token', () => {
    const result = generate(model, prompts, { maxNewTokens: 12, eosTokenId: null });
    prompts.forEach((prompt, b) => {
      assert.deepEqual(result.newTokens[b], greedyByRecompute(prompt, 12), `row ${b}`);
      assert.deepEqual(result.sequences[b], [...prompt, ...result.newTokens[b]!]);
    });
    assert.deepEqual(result.finished, [false, false, false]);
  });

  it('gives each row of a left-padded batch the tokens its prompt gets alone', () => {
    const options = { maxNewTokens: 10, doSample: true, topK: 20, seed: 3, eosTokenId: null };
    const together = generate(model, prompts, options);
    prompts.forEach((prompt, b) => {
      // Alone, the row must draw from the same stream: the row's stream is forked by its index.
      const padded = { ids: prompts.map((p, i) => (i === b ? p : [0])), attentionMask: prompts.map((_, i) => (i === b ? prompt.map(() => 1) : [1])) };
      assert.deepEqual(generate(model, padded, options).newTokens[b], together.newTokens[b], `sampled row ${b}`);
      assert.deepEqual(generate(model, [prompt], { maxNewTokens: 10, eosTokenId: null }).newTokens[0], generate(model, prompts, { maxNewTokens: 10, eosTokenId: null }).newTokens[b], `greedy row ${b}`);
    });
  });

  it('accepts a padded batch ({ ids, attentionMask }) with padding on either side', () => {
    const left = { ids: [[0, 0, 33], [5, 9, 2]], attentionMask: [[0, 0, 1], [1, 1, 1]] };
    const right = { ids: [[33, 0, 0], [5, 9, 2]], attentionMask: [[1, 0, 0], [1, 1, 1]] };
    const expected = generate(model, [[33], [5, 9, 2]], { maxNewTokens: 6, eosTokenId: null }).newTokens;
    assert.deepEqual(generate(model, left, { maxNewTokens: 6, eosTokenId: null }).newTokens, expected);
    assert.deepEqual(generate(model, right, { maxNewTokens: 6, eosTokenId: null }).newTokens, expected);
  });

  it('samples reproducibly from a seed, differently for different seeds, and advances a given rng', () => {
    const options = { maxNewTokens: 16, doSample: true, temperature: 1.5, eosTokenId: null };
    const first = generate(model, prompts, { ...options, seed: 1 });
    assert.deepEqual(generate(model, prompts, { ...options, seed: 1 }), first);
    assert.notDeepEqual(generate(model, prompts, { ...options, seed: 2 }).newTokens, first.newTokens);
    const rng = new Rng(5);
    const a = generate(model, prompts, { ...options, rng });
    const b = generate(model, prompts, { ...options, rng });
    assert.notDeepEqual(a.newTokens, b.newTokens, 'two calls with one rng continue its stream');
    const again = new Rng(5);
    assert.deepEqual(generate(model, prompts, { ...options, rng: again }).newTokens, a.newTokens);
  });

  it('equals greedy with top-k 1 and with a tiny top-p', () => {
    const greedy = generate(model, prompts, { maxNewTokens: 12, eosTokenId: null }).newTokens;
    for (const warp of [{ topK: 1 }, { topP: 1e-6 }, { topK: 1, temperature: 3 }, { topP: 1e-6, temperature: 0.2 }]) {
      const sampled = generate(model, prompts, { maxNewTokens: 12, eosTokenId: null, doSample: true, seed: 9, ...warp });
      assert.deepEqual(sampled.newTokens, greedy, JSON.stringify(warp));
    }
  });

  it('stops a row at eos (pad after it, nothing returned) and suppresses eos before minNewTokens', () => {
    const free = generate(model, prompts, { maxNewTokens: 8, eosTokenId: null });
    // Make row 0's third greedy token the eos token.
    const eos = free.newTokens[0]![2]!;
    const stopped = generate(model, prompts, { maxNewTokens: 8, eosTokenId: eos });
    assert.deepEqual(stopped.newTokens[0], free.newTokens[0]!.slice(0, 3));
    assert.equal(stopped.logProbs[0]!.length, 3);
    assert.equal(stopped.finished[0], true);
    prompts.forEach((_, b) => {
      const firstEos = free.newTokens[b]!.indexOf(eos);
      const expected = firstEos < 0 ? free.newTokens[b] : free.newTokens[b]!.slice(0, firstEos + 1);
      assert.deepEqual(stopped.newTokens[b], expected, `row ${b}`);
      assert.equal(stopped.finished[b], firstEos >= 0);
    });
    const suppressed = generate(model, prompts, { maxNewTokens: 8, minNewTokens: 4, eosTokenId: eos });
    assert.ok(!suppressed.newTokens[0]!.slice(0, 4).includes(eos), 'no eos among the first minNewTokens tokens');
    assert.deepEqual(suppressed.newTokens[0]!.slice(0, 2), free.newTokens[0]!.slice(0, 2));
  });

  it('ends when every row is done, and takes eos from the model config by default', () => {
    const eosModel = fixedLogitsModel([0.1, 0.9]);
    const result = generate({ ...eosModel, config: { numHiddenLayers: 1, eosTokenId: [1] } }, [[0], [0, 0]], { maxNewTokens: 5 });
    assert.deepEqual(result.newTokens, [[1], [1]]);
    assert.deepEqual(result.finished, [true, true]);
    const forced = generate({ ...eosModel, config: { numHiddenLayers: 1, eosTokenId: 1 } }, [[0]], { maxNewTokens: 5, minNewTokens: 3 });
    assert.deepEqual(forced.newTokens, [[0, 0, 0, 1]]);
    assert.ok(Math.abs(forced.logProbs[0]![0]! - Math.log(0.1)) < 1e-6, 'log-probs are of the raw distribution, before eos suppression');
  });

  it('returns the log-probabilities of the raw distribution, as a full forward gives them', () => {
    const result = generate(model, prompts, { maxNewTokens: 10, doSample: true, seed: 4, temperature: 0.7, topK: 10, topP: 0.9, eosTokenId: null });
    prompts.forEach((prompt, b) => {
      const expected = logProbsByRecompute(prompt, result.newTokens[b]!);
      result.logProbs[b]!.forEach((lp, i) => assert.ok(Math.abs(lp - expected[i]!) < 1e-4, `row ${b} token ${i}: ${lp} vs ${expected[i]}`));
    });
  });

  it('applies temperature, then top-k, then top-p, as transformers does', () => {
    const p = [0.5, 0.3, 0.15, 0.05];
    const fixed = fixedLogitsModel(p);
    const draw = (options: Record<string, number>) =>
      counts(generate(fixed, [[0]], { maxNewTokens: 400, eosTokenId: null, doSample: true, seed: 1, ...options }).newTokens[0]!, 4);
    const kept = (c: number[]) => c.map((n) => n > 0);
    assert.deepEqual(kept(draw({ topK: 3 })), [true, true, true, false]);
    // Top-p keeps tokens while the mass before them is < topP: 0.5 < 0.75, then 0.8 ≥ 0.75 stops.
    assert.deepEqual(kept(draw({ topP: 0.75 })), [true, true, false, false]);
    // After top-k 2 the distribution is renormalised (0.625, 0.375), so top-p 0.6 keeps one token;
    // top-p alone on the full distribution keeps two.
    assert.deepEqual(kept(draw({ topK: 2, topP: 0.6 })), [true, false, false, false]);
    assert.deepEqual(kept(draw({ topP: 0.6 })), [true, true, false, false]);
    // Temperature 0.5 sharpens to ≈ (0.70, 0.25, 0.06, 0.01) before top-p sees it.
    assert.deepEqual(kept(draw({ temperature: 0.5, topP: 0.6 })), [true, false, false, false]);
    // Frequencies follow the distribution.
    const free = draw({});
    free.forEach((n, i) => assert.ok(Math.abs(n / 400 - p[i]!) < 0.07, `token ${i}: ${n}/400 vs ${p[i]}`));
    const hot = draw({ temperature: 0.5 });
    assert.ok(hot[0]! / 400 > 0.6, `temperature 0.5 sharpens: token 0 drawn ${hot[0]}/400`);
  });

  it('keeps every token tied with the k-th largest, as transformers top-k does', () => {
    const tied = fixedLogitsModel([0.4, 0.2, 0.2, 0.2]);
    const c = counts(generate(tied, [[0]], { maxNewTokens: 300, eosTokenId: null, doSample: true, seed: 2, topK: 2 }).newTokens[0]!, 4);
    assert.ok(c.every((n) => n > 0), `all four tokens drawn: ${c}`);
  });

  it('raises typed errors that say how to fix the options', () => {
    assert.throws(() => generate(model, prompts, { maxNewTokens: 4, doSample: true }), (e: unknown) => e instanceof GenerationError && /seed/.test(e.message));
    assert.throws(() => generate(model, prompts, { maxNewTokens: 4, temperature: 0.7 }), /doSample: true/);
    assert.throws(() => generate(model, prompts, { maxNewTokens: 4, doSample: true, seed: 1, topP: 0 }), GenerationError);
    assert.throws(() => generate(model, prompts, { maxNewTokens: 4, minNewTokens: 5 }), GenerationError);
    assert.throws(() => generate(model, [[1], []], { maxNewTokens: 4 }), /prompt 1 has no tokens/);
    assert.throws(() => generate(model, { ids: [[1, 2]], attentionMask: [[1]] }, { maxNewTokens: 4 }), /attention-mask/);
    assert.deepEqual(generate(model, [], { maxNewTokens: 4 }), { sequences: [], newTokens: [], logProbs: [], finished: [] });
  });
});

describe('generateText', () => {
  it('encodes, generates and decodes the new tokens of each prompt', () => {
    const folder = fixture('gpt-neox-tiny');
    const { model: lm } = loadModel(folder);
    const tokenizer = Tokenizer.fromFolder(folder);
    const texts = ['Call me Ishmael. Some years ago', 'The whale'];
    const result = generateText(lm as unknown as GenerationModel, tokenizer, texts, { maxNewTokens: 8, padTokenId: 1 });
    const direct = generate(lm as unknown as GenerationModel, texts.map((t) => tokenizer.encode(t)), { maxNewTokens: 8, padTokenId: 1 });
    assert.deepEqual(result.newTokens, direct.newTokens);
    assert.deepEqual(result.texts, direct.newTokens.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true })));
    const truncated = generateText(lm as unknown as GenerationModel, tokenizer, texts, { maxNewTokens: 2, padTokenId: 1, maxPromptTokens: 3 });
    assert.deepEqual(truncated.sequences[0]!.slice(0, 3), tokenizer.encode(texts[0]!).slice(-3));
  });
});

describe('KVCache.reserve', () => {
  it('writes each step in place and returns the reserved span; refuses misuse with typed errors', async () => {
    const { KVCache } = await import('../../src/models/kv-cache.js');
    const cache = new KVCache(1);
    assert.throws(() => cache.reserve(2), /run the prompt through the model first/);
    const prompt = T.tensor(Float32Array.from({ length: 2 * 1 * 3 * 2 }, (_, i) => i + 1), [2, 1, 3, 2]);
    cache.extend(0, prompt, prompt);
    cache.reserve(2);
    assert.equal(cache.length, 3);
    assert.equal(cache.capacity, 5);
    const step = T.tensor([[[[-1, -2]]], [[[-3, -4]]]]);
    const { key } = cache.extend(0, step, step);
    assert.deepEqual(key.shape, [2, 1, 5, 2]);
    assert.deepEqual(Array.from(key.data), [1, 2, 3, 4, 5, 6, -1, -2, 0, 0, 7, 8, 9, 10, 11, 12, -3, -4, 0, 0]);
    assert.equal(cache.length, 4);
    assert.throws(() => cache.extend(0, prompt, prompt), /one position/);
    cache.extend(0, step, step);
    assert.throws(() => cache.extend(0, step, step), /reserve\(\) more room/);
    cache.dispose();
    assert.equal(cache.length, 0);
  });
});

describe('generate on a model that outputs NaN', () => {
  it('says so instead of returning tokens', () => {
    const broken = fixedLogitsModel([0.5, NaN, 0.5]);
    assert.throws(() => generate(broken, [[0]], { maxNewTokens: 2, eosTokenId: null }), /NaN logits/);
    assert.throws(() => generate(broken, [[0]], { maxNewTokens: 2, eosTokenId: null, doSample: true, seed: 1, topK: 2 }), /NaN logits/);
  });
});
