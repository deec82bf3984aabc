/**
 * The evaluate stage's computations on cases whose answers are known by hand: a reward that is
 * the ground truth rescaled, one that reverses it, minimal pairs with ties, similarity matrices,
 * summaries over seeds that skip undefined values, and the ground truth's sign convention.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookAlikePairFigures, meanOffDiagonal, minimalPairAccuracy, rewardAgreement, rewardSimilarity, summariseOverSeeds } from '../../src/eval/index.js';
import { logOddsNotToxic } from '../../src/pipeline/stages/toxicity.js';

const g = [1, 2, -1, -2];
const groups = ['a', 'a', 'b', 'b'];
const close = (actual: number | null, expected: number, what: string) => assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

test('a reward that is the ground truth at half the scale agrees perfectly on everything scale-free', () => {
  const r = g.map((x) => x / 2);
  const a = rewardAgreement(g, r, { groups, threshold: 0.75 });
  for (const name of ['accuracy', 'f1', 'auroc', 'pairwiseAccuracy', 'pearson', 'spearman', 'kendall', 'cosine'] as const) close(a[name], 1, name);
  close(a.standardisedEuclidean, 0, 'standardised Euclidean');
  close(a.euclidean, Math.sqrt(2.5), 'raw Euclidean sees the scale');
  close(a.epic, 0, 'EPIC');
  close(a.starc, 0, 'STARC');
  // At threshold 0.75 the text with g = 1 (r = 0.5) is predicted toxic: 3 of 4 right.
  close(a.accuracyAtThreshold, 0.75, 'accuracy at the threshold');
  assert.deepEqual(a.confusion, [[2, 0], [0, 2]]);
  assert.equal(a.texts, 4);
  assert.equal(a.toxicTexts, 2);
  assert.deepEqual(a.intervals, {}, 'no bootstrap unless asked');
});

test('a reward that reverses the ground truth gets the opposite extremes', () => {
  const a = rewardAgreement(g, g.map((x) => -x), { groups });
  close(a.accuracy, 0, 'accuracy');
  close(a.auroc, 0, 'AUROC');
  close(a.pearson, -1, 'Pearson');
  close(a.kendall, -1, 'Kendall');
  close(a.epic, 1, 'EPIC');
  close(a.starc, 2, 'STARC');
  assert.equal(a.accuracyAtThreshold, null, 'no threshold given');
});

test('without prompts EPIC and STARC are null; bootstrap intervals bracket their estimate and are reproducible', () => {
  const r = [0.3, 1.1, -0.2, 0.4, -2, 0.1];
  const truth = [0.5, 2, -1, -0.5, -3, 1];
  const a = rewardAgreement(truth, r, { bootstrap: { seed: 7, resamples: 200 } });
  assert.equal(a.epic, null);
  assert.equal(a.starc, null);
  for (const [name, interval] of Object.entries(a.intervals)) {
    assert.ok(interval && interval.low <= interval.estimate + 1e-12 && interval.estimate <= interval.high + 1e-12, name);
  }
  assert.deepEqual(rewardAgreement(truth, r, { bootstrap: { seed: 7, resamples: 200 } }).intervals, a.intervals);
});

test('minimal pairs: the share of sentences whose clean form scores higher, a tie counting one half', () => {
  assert.equal(minimalPairAccuracy([1, 0, 2, 5], [0, 0, 3, -1]), (1 + 0.5 + 0 + 1) / 4);
});

test('look-alike pairs: a reward that only falls with length gets every minimal pair and no look-alike pair right', () => {
  // Scores −(words): the clean form has 5 words, the abusive and its benign look-alike 6 each.
  const clean = [-5, -5, -5];
  const abusive = [-6, -6, -6];
  const benign = [-6, -6, -6];
  assert.equal(minimalPairAccuracy(clean, abusive), 1);
  assert.deepEqual(lookAlikePairFigures(clean, abusive, benign), { lookAlikePairAccuracy: 0.5, cleanOverLookAlike: 1 });
  // A reward that judges the word alone: the look-alike scores as the clean form does.
  assert.deepEqual(lookAlikePairFigures([0, 0, 1], [-1, -2, 0], [0, 0, 1]), { lookAlikePairAccuracy: 1, cleanOverLookAlike: 0.5 });
  assert.throws(() => lookAlikePairFigures([0], [0, 1], [0, 1]), /length/);
});

test('similarity: a reward, twice it and its negation', () => {
  const a = [1, 3, 2, 6];
  const sim = rewardSimilarity([a, a.map((x) => 2 * x), a.map((x) => -x)], ['p', 'p', 'q', 'q']);
  assert.deepEqual(sim.pearson.map((row) => row.map((x) => Math.round(x!))), [[1, 1, -1], [1, 1, -1], [-1, -1, 1]]);
  assert.deepEqual(sim.epic.map((row) => row.map((x) => Math.round(x! * 1e9) / 1e9)), [[0, 0, 1], [0, 0, 1], [1, 1, 0]]);
  // Seeds 0 and 1 of one variant agree (1); against the third, −1 both ways.
  close(meanOffDiagonal(sim.spearman, (i, j) => i < 2 && j < 2), 1, "within");
  close(meanOffDiagonal(sim.spearman, (i, j) => (i < 2) !== (j < 2)), -1, "between");
  assert.equal(meanOffDiagonal([[1]], () => true), null, 'no off-diagonal entry');
});

test('over seeds, a figure undefined for a seed is left out and n says so', () => {
  const summary = summariseOverSeeds([{ x: 1, y: null }, { x: null, y: null }, { x: 3, y: null }], ['x', 'y']);
  assert.equal(summary.x.n, 2);
  assert.equal(summary.x.mean, 2);
  assert.equal(summary.x.min, 1);
  assert.equal(summary.y.n, 0);
  assert.equal(summary.y.mean, null);
});

test('the ground truth as log-odds of "not toxic": toxic exactly when P > 0.5, finite at P = 0 or 1', () => {
  assert.equal(logOddsNotToxic(-0.5), 0);
  close(logOddsNotToxic(-0.2), Math.log(4), 'P = 0.2');
  assert.ok(logOddsNotToxic(-0.51) < 0);
  assert.ok(Number.isFinite(logOddsNotToxic(-1)) && Number.isFinite(logOddsNotToxic(0)));
});
