import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pearson } from '../../src/eval/index.js';
import { DemonstrationsError, RewardModel, TokenizerMismatchError, distilReward, logRatioReward, logRatioTerms, rowTokenTargets, tokenLogProbs, tokenLogRatios, type CausalLM } from '../../src/irl/index.js';
import type { CausalLMInputs, CausalLMOutputs } from '../../src/models/causal-lm.js';
import { GPTNeoXForCausalLM } from '../../src/models/gpt-neox.js';
import { Module, Rng } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { seededModel, tinyConfig } from '../helpers/tiny-gpt.js';
import { MARKER, markerDemonstrations } from './marker-task.js';

const config = tinyConfig({ pad_token_id: 1 });
const V = config.vocabSize;

/** The base LM with `bias` added to one token's logit everywhere: an "expert" whose log-ratio we know. */
class BiasedLM extends Module {
  constructor(
    private readonly lm: GPTNeoXForCausalLM,
    private readonly token: number,
    private readonly bias: number,
  ) {
    super();
  }

  get config() {
    return this.lm.config;
  }

  forward(inputs: CausalLMInputs): CausalLMOutputs {
    const out = this.lm.forward(inputs);
    const shift = new Float32Array(V);
    shift[this.token] = this.bias;
    return { hidden: out.hidden, logits: T.add(out.logits, T.tensor(shift, [V])) };
  }
}

const BIAS = 1.5;
const BETA = 0.1;

describe('the closed-form log-ratio reward', () => {
  it('is β·(b·count − C·log(1 + (eᵇ − 1)/V)) against a uniform base, so it ranks texts by the biased token\'s count', () => {
    // All-zero parameters: every logit 0, the uniform distribution at every position.
    const uniform = new GPTNeoXForCausalLM(config);
    const expert = new BiasedLM(uniform, MARKER, BIAS);
    const items = [0, 3, 1, 2].map((count) => ({ promptIds: [5, 6], continuationIds: [MARKER, MARKER, MARKER, 9, 9].map((id, i) => (i < count ? id : 9)) }));
    const rewards = logRatioReward({ expert, base: uniform, beta: BETA }, items);
    const expected = (count: number) => BETA * (BIAS * count - 5 * Math.log(1 + (Math.exp(BIAS) - 1) / V));
    rewards.forEach((r, i) => assert.ok(Math.abs(r - expected([0, 3, 1, 2][i]!)) < 1e-5, `${r} vs ${expected([0, 3, 1, 2][i]!)}`));
  });

  it("with 'min', is β times the most negative token term: the avoided token's wherever it is, whatever the length", () => {
    const uniform = new GPTNeoXForCausalLM(config);
    const avoid = -2;
    const expert = new BiasedLM(uniform, MARKER, avoid);
    const rest = -Math.log(1 + (Math.exp(avoid) - 1) / V);
    const items = [[9, 9, MARKER], [MARKER], [9], [9, 9, 9, 9, 9, 9]].map((continuationIds) => ({ promptIds: [5, 6], continuationIds }));
    const rewards = logRatioReward({ expert, base: uniform, beta: BETA, aggregate: 'min' }, items);
    const expected = [avoid + rest, avoid + rest, rest, rest].map((term) => BETA * term);
    rewards.forEach((r, i) => assert.ok(Math.abs(r - expected[i]!) < 1e-5, `${r} vs ${expected[i]}`));
  });

  it('does not depend on how items are batched and padded, and is 0 for identical models', () => {
    const base = seededModel(config, 8);
    const expert = new BiasedLM(base, MARKER, BIAS);
    const items = [
      { promptIds: [4], continuationIds: [MARKER, 3, 12, 5] },
      { promptIds: [4, 8, 9, 10], continuationIds: [2] },
      { promptIds: [6, 6], continuationIds: [MARKER, 11, MARKER] },
    ];
    const batched = logRatioReward({ expert, base, beta: BETA, batchSize: 3 }, items);
    const single = logRatioReward({ expert, base, beta: BETA, batchSize: 1 }, items);
    batched.forEach((r, i) => assert.ok(Math.abs(r - single[i]!) < 1e-5));
    assert.ok(logRatioReward({ expert: base, base, beta: BETA }, items).every((r) => Math.abs(r) < 1e-6));
  });

  it('per token, is β·(b·[y_t is the biased token] − log(1 + (eᵇ − 1)/V)), and the terms sum to the text\'s reward', () => {
    const uniform = new GPTNeoXForCausalLM(config);
    const expert = new BiasedLM(uniform, MARKER, BIAS);
    const items = [[MARKER, 9, MARKER], [9], [9, 9, MARKER, 4, 5]].map((continuationIds) => ({ promptIds: [5, 6], continuationIds }));
    const options = { expert, base: uniform, beta: BETA };
    const perToken = tokenLogRatios(options, items);
    const rest = -Math.log(1 + (Math.exp(BIAS) - 1) / V);
    perToken.forEach((terms, i) => {
      assert.equal(terms.length, items[i]!.continuationIds.length);
      terms.forEach((r, t) => {
        const expected = BETA * ((items[i]!.continuationIds[t] === MARKER ? BIAS : 0) + rest);
        assert.ok(Math.abs(r - expected) < 1e-6, `item ${i} token ${t}: ${r} vs ${expected}`);
      });
    });
    // Against a seeded base too, where the terms differ from token to token and position to position.
    const base = seededModel(config, 8);
    const biased = { expert: new BiasedLM(base, MARKER, BIAS), base, beta: BETA };
    const summed = logRatioReward(biased, items);
    tokenLogRatios(biased, items).forEach((terms, i) => assert.ok(Math.abs(terms.reduce((a, b) => a + b, 0) - summed[i]!) < 1e-9, `item ${i}`));
  });

  it("aligns per-token targets with a row's last tokens (its continuation), its prompt's tokens at 0, and refuses rows that do not end with it", () => {
    assert.deepEqual(rowTokenTargets([5, 6, 7, 8, 9], [8, 9], [0.5, -1]), [0, 0, 0, 0.5, -1]);
    assert.deepEqual(rowTokenTargets([8, 9], [8, 9], [0.5, -1]), [0.5, -1], 'reward input: the continuation alone');
    assert.throws(() => rowTokenTargets([8, 9, 5], [8, 9], [0.5, -1]), DemonstrationsError, 'the continuation is not at the end');
    assert.throws(() => rowTokenTargets([9], [8, 9], [0.5, -1]), DemonstrationsError, 'a row shorter than its continuation');
    assert.throws(() => rowTokenTargets([8, 9], [8, 9], [0.5]), DemonstrationsError, 'one target per continuation token');
  });

  it("reads the base model's token log-probabilities from baseTokens when given, so several experts share one read", () => {
    const base = seededModel(config, 8);
    const items = [{ promptIds: [4], continuationIds: [MARKER, 3, 12] }, { promptIds: [6, 6], continuationIds: [2] }];
    const asked: number[] = [];
    const baseTokens = (list: readonly { promptIds: readonly number[]; continuationIds: readonly number[] }[]) => (asked.push(list.length), tokenLogProbs(base, list));
    for (const bias of [BIAS, -BIAS]) {
      const expert = new BiasedLM(base, MARKER, bias);
      assert.deepEqual(logRatioTerms({ expert, base, baseTokens, beta: BETA }, items), logRatioTerms({ expert, base, beta: BETA }, items));
    }
    assert.deepEqual(asked, [2, 2], 'the base is read through baseTokens, not again');
  });

  it('refuses two models over different vocabularies', () => {
    const other = seededModel(tinyConfig({ vocab_size: 40 }), 1) as unknown as CausalLM;
    assert.throws(() => logRatioReward({ expert: other, base: seededModel(config, 1), beta: 1 }, [{ promptIds: [1], continuationIds: [2] }]), TokenizerMismatchError);
  });

  it('distils into a standalone reward model that predicts the log-ratio on held-out texts', (t) => {
    const base = seededModel(config, 8);
    const expert = new BiasedLM(base, MARKER, 3);
    const texts = markerDemonstrations(60, 2, 4).prompts.flatMap((p) => [...p.expert, ...p.baseline].map((c) => ({ promptIds: p.promptIds, continuationIds: c.ids })));
    const targets = logRatioReward({ expert, base, beta: 1 }, texts);
    const rows = texts.map((x) => [...x.promptIds, ...x.continuationIds]);
    const split = (from: number, to: number) => ({ rows: rows.slice(from, to), targets: targets.slice(from, to) });
    const [train, validation, test] = [split(0, 160), split(160, 200), split(200, 240)];
    const model = RewardModel.fromCausalLM(base, { pooling: 'last', rng: new Rng(2) });
    const result = distilReward(model, { mode: { kind: 'full' }, train, validation, epochs: 30, batchSize: 8, learningRate: 5e-3, seed: 0 });
    const r = pearson(test.targets, model.scoreRows(test.rows))!;
    t.diagnostic(`held-out Pearson r of the distilled reward with the log-ratio: ${r.toFixed(3)} (validation MSE ${result.bestValidationLoss.toFixed(3)} at epoch ${result.bestEpoch})`);
    assert.ok(r > 0.9, `r = ${r}`);
  });
});
