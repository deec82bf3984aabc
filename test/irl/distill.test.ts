// Dense (per-token) distillation: a head fitted to every token's target recovers a per-token
// signal that text-level targets cannot pin down from few texts; the loss is the mean over real
// tokens (padding masked, validation weighted by tokens); it trains in mode 'probe' and 'full';
// and per-token targets are refused where there is no score per token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pearson } from '../../src/eval/index.js';
import { DemonstrationsError, FrozenFeatures, IrlOptionsError, RewardModel, distilReward, padRows, type Pooling } from '../../src/irl/index.js';
import { Rng } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { seededModel, tinyConfig } from '../helpers/tiny-gpt.js';
import { markerSplits } from './marker-task.js';

const base = seededModel(tinyConfig({ pad_token_id: 1 }), 21);
const newModel = (pooling: Pooling, seed: number) => RewardModel.fromCausalLM(base, { pooling, rng: new Rng(seed).fork('head') });
// Rows of 6 to 10 tokens (a prompt of 2, a continuation of 4 to 8).
const data = markerSplits(60);

/** score(h_t) of each real token of each row, read one row at a time (no padding anywhere). */
function perTokenScores(model: RewardModel, rows: readonly number[][]): number[][] {
  model.classifier.eval();
  return rows.map((row) => T.noGrad(() => T.tidy(() => Array.from(model.tokenScores(padRows([row], model.padId)).data))));
}

/** A per-token reward exactly linear in the frozen backbone's features: a token-sum model's head with weights of unit scale. */
function linearTeacher(): RewardModel {
  const teacher = newModel('token-sum', 99);
  const rng = new Rng(7);
  T.writeHost(teacher.head.weight, Float32Array.from({ length: teacher.head.weight.size }, () => rng.normal()));
  return teacher;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe("distillation with targets 'token'", () => {
  it('recovers a per-token reward linear in the features from fewer texts than features, where text-level targets cannot', (t) => {
    const teacher = linearTeacher();
    // 16 training texts against a 32-dimensional head: their 16 sums leave the head underdetermined, their ~130 tokens do not.
    const train = data.train.rows.slice(0, 16);
    const { validation, test } = { validation: data.validation.rows, test: data.test.rows };
    const [trainTokens, validationTokens, testTokens] = [train, validation, test].map((rows) => perTokenScores(teacher, rows));
    const features = new FrozenFeatures();
    const fit = { mode: { kind: 'probe' } as const, features, epochs: 40, batchSize: 4, learningRate: 3e-2, seed: 0 };
    const dense = newModel('token-sum', 1);
    const denseFit = distilReward(dense, { ...fit, targets: 'token', train: { rows: train, tokenTargets: trainTokens! }, validation: { rows: validation, tokenTargets: validationTokens! } });
    const text = newModel('token-sum', 1);
    distilReward(text, { ...fit, train: { rows: train, targets: trainTokens!.map(sum) }, validation: { rows: validation, targets: validationTokens!.map(sum) } });

    const agreement = (model: RewardModel) => pearson(testTokens!.flat(), perTokenScores(model, test).flat())!;
    const [denseR, textR] = [agreement(dense), agreement(text)];
    const textSums = pearson(testTokens!.map(sum), features.scoreRows(dense, test))!;
    t.diagnostic(`held-out per-token Pearson with the teacher: dense ${denseR.toFixed(3)}, text-level ${textR.toFixed(3)}; dense texts' sums ${textSums.toFixed(3)}; training loss ${denseFit.epochs[0]!.trainLoss.toFixed(3)} → ${denseFit.epochs.at(-1)!.trainLoss.toFixed(3)}`);
    assert.ok(denseFit.epochs.at(-1)!.trainLoss < denseFit.epochs[0]!.trainLoss / 4, 'the training loss falls');
    assert.ok(denseR > 0.95, `dense per-token r = ${denseR}`);
    assert.ok(denseR > textR + 0.05, `dense ${denseR} vs text-level ${textR}`);
    assert.ok(textSums > 0.95, "the dense model's token-sum reward matches the texts' summed targets");
    [teacher, dense, text].forEach((model) => model.classifier.dispose());
  });

  it("trains the whole model in mode 'full', its validation loss the mean squared error over every real token, padding masked", () => {
    const teacher = linearTeacher();
    const [train, validation] = [data.train.rows, data.validation.rows];
    const [trainTokens, validationTokens] = [train, validation].map((rows) => perTokenScores(teacher, rows));
    const model = newModel('token-mean', 3);
    // Batches of 8 rows of 6 to 10 tokens: every batch but the longest rows' has padding.
    const result = distilReward(model, { mode: { kind: 'full' }, targets: 'token', train: { rows: train, tokenTargets: trainTokens! }, validation: { rows: validation, tokenTargets: validationTokens! }, epochs: 3, batchSize: 8, learningRate: 3e-3, seed: 0 });
    assert.ok(result.epochs.at(-1)!.trainLoss < result.epochs[0]!.trainLoss, 'the training loss falls');
    const scores = perTokenScores(model, validation);
    const squared = scores.flatMap((row, i) => row.map((s, t) => (s - validationTokens![i]![t]!) ** 2));
    const byHand = sum(squared) / squared.length;
    assert.ok(Math.abs(result.bestValidationLoss - byHand) < 1e-4 * byHand, `${result.bestValidationLoss} vs ${byHand}`);
    [teacher, model].forEach((m) => m.classifier.dispose());
  });

  it('is refused with a pooling that scores whole texts, and without one target per token of each row', () => {
    const rows = data.train.rows.slice(0, 4);
    const tokenTargets = rows.map((row) => row.map(() => 0));
    const options = { mode: { kind: 'probe' } as const, targets: 'token' as const, epochs: 1, batchSize: 2, learningRate: 1e-2, seed: 0 };
    for (const pooling of ['last', 'mean'] as const) {
      assert.throws(() => distilReward(newModel(pooling, 1), { ...options, train: { rows, tokenTargets }, validation: { rows, tokenTargets } }), (error: Error) => error instanceof IrlOptionsError && /token pooling/.test(error.message), pooling);
    }
    const model = newModel('token-sum', 1);
    assert.throws(() => distilReward(model, { ...options, train: { rows, targets: [0, 0, 0, 0] }, validation: { rows, tokenTargets } }), DemonstrationsError, 'no token targets');
    assert.throws(() => distilReward(model, { ...options, train: { rows, tokenTargets: tokenTargets.map((v) => v.slice(1)) }, validation: { rows, tokenTargets } }), DemonstrationsError, 'one short');
  });
});
