// Seeded generations on a bigram model (exact float32 logits, no matrix product), recorded when
// generation still chose tokens on the host: wherever token choice runs (now the backend's
// chooseTokens), it must reproduce every token of greedy decoding, of sampling with temperature,
// top-k and top-p, of eos suppression and of a caller's rng, on any backend; and each
// log-probability must be the backend's log-softmax of the raw logits, bit for bit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate, type GenerateOptions } from '../../src/models/generation.js';
import { Rng } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { bigramModel } from '../helpers/bigram-model.js';

const model = bigramModel(600, 12);
const prompts = [[5, 9, 2, 40, 17, 3], [33], [8, 8, 1, 60]];
const maxNewTokens = 12;

const golden: Record<string, { options: Partial<GenerateOptions>; tokens: number[][] }> = {
  'greedy': {
    options: {},
    tokens: [[483,496,216,208,583,350,350,350,350,350,350,350], [309,379,277,154,147,300,92,414,275,130,525,346], [272,5,497,270,31,474,432,440,327,2,25,70]],
  },
  'sample': {
    options: { doSample: true, seed: 1 },
    tokens: [[198,299,18,590,48,482,236,29,405,435,65,404], [430,144,298,541,347,58,168,573,248,144,181,334], [148,394,17,263,296,270,553,593,145,56,368,208]],
  },
  'temperature 0.3': {
    options: { doSample: true, seed: 2, temperature: 0.3 },
    tokens: [[483,496,216,208,583,350,350,350,350,350,350,350], [583,350,350,350,350,350,350,350,350,350,350,350], [272,5,497,270,31,474,567,415,121,216,476,38]],
  },
  'temperature 5, top-p 0.99': {
    options: { doSample: true, seed: 3, temperature: 5, topP: 0.99 },
    tokens: [[409,511,0,92,139,425,332,18,552,494,305,309], [318,396,279,296,232,91,214,311,174,595,284,220], [500,103,333,162,562,414,52,195,168,383,287,31]],
  },
  'top-k 1': {
    options: { doSample: true, seed: 4, topK: 1 },
    tokens: [[483,496,216,208,583,350,350,350,350,350,350,350], [309,458,26,446,177,40,319,129,99,396,351,431], [272,5,497,270,31,474,432,440,327,15,300,92]],
  },
  'top-k 7': {
    options: { doSample: true, seed: 5, topK: 7 },
    tokens: [[156,221,350,281,298,574,511,169,550,328,451,321], [392,559,527,1,29,33,309,539,470,550,328,122], [415,210,186,446,394,430,499,497,504,248,311,564]],
  },
  'top-k 40, top-p 0.8, temperature 0.7': {
    options: { doSample: true, seed: 6, topK: 40, topP: 0.8, temperature: 0.7 },
    tokens: [[156,298,406,58,110,319,303,159,419,357,389,91], [309,458,487,443,499,429,331,325,487,443,72,408], [341,574,281,298,541,126,328,420,265,552,129,247]],
  },
  'top-p 1e-6': {
    options: { doSample: true, seed: 7, topP: 1e-6 },
    tokens: [[483,496,216,208,583,350,350,350,350,350,350,350], [309,379,277,154,147,300,92,414,275,130,525,346], [272,5,497,270,31,474,432,440,327,2,25,70]],
  },
  'top-p 0.5': {
    options: { doSample: true, seed: 'eight', topP: 0.5 },
    tokens: [[460,574,306,262,262,287,36,226,89,193,559,153], [305,132,284,319,129,587,21,80,552,129,587,88], [34,105,545,329,439,424,315,353,398,195,360,146]],
  },
  'eos after 6, top-k 20': {
    options: { doSample: true, seed: 9, topK: 20, eosTokenId: [496, 5, 277, 350, 144], minNewTokens: 6 },
    tokens: [[483,433,68,121,21,206,539,536,377,521,96,12], [392,345,65,268,559,527,74,75,485,502,507,363], [34,336,232,267,30,216,567,216,370,32,280,367]],
  },
  'greedy, eos after 6': {
    options: { eosTokenId: [496, 5, 277, 350, 144], minNewTokens: 6 },
    tokens: [[483,433,207,8,189,406,58,110,199,524,331,574], [309,379,598,558,521,96,595,144], [272,149,272,149,272,149,272,5]],
  },
};
/** Two calls that share one rng (sampling, top-k 30): the second continues the stream. */
const goldenRngCalls = [[[390,352,411,120,161,490,591,170,555,491,362,134], [138,45,596,92,115,218,381,396,522,539,470,435], [372,534,551,83,232,267,30,140,106,552,129,27]], [[483,496,216,30,216,370,294,217,217,561,194,173], [570,233,488,106,391,29,409,102,122,40,596,129], [27,445,31,474,256,427,160,161,553,593,248,398]]];

/** log-softmax of the logits after each token's predecessor, at the token, on the active backend. */
function rawLogProbs(prompt: number[], tokens: number[]): number[] {
  return tokens.map((token, i) => {
    const logits = T.tensor(model.logitsAfter(i === 0 ? prompt.at(-1)! : tokens[i - 1]!));
    return T.tidy(() => T.logSoftmax(logits).data[token]!);
  });
}

describe('seeded generation, as recorded with token choice on the host', () => {
  for (const [name, { options, tokens }] of Object.entries(golden)) {
    it(`${name}: the same tokens, and log-probabilities of the raw distribution bit for bit`, () => {
      const result = generate(model, prompts, { maxNewTokens, eosTokenId: null, ...options });
      assert.deepEqual(result.newTokens, tokens);
      prompts.forEach((prompt, b) => assert.deepEqual(result.logProbs[b], rawLogProbs(prompt, tokens[b]!), `row ${b}`));
    });
  }

  it('two calls with one rng: the same tokens', () => {
    const rng = new Rng(42);
    const calls = [0, 1].map(() => generate(model, prompts, { maxNewTokens, eosTokenId: null, doSample: true, rng, topK: 30 }).newTokens);
    assert.deepEqual(calls, goldenRngCalls);
  });
});
