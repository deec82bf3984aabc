// The O(n log n) pair counting behind Kendall's τ-b, pairwise accuracy and AUROC, against the
// definitions written out pair by pair, on data with many ties.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/nn/rng.js';
import { auroc, averageRanks, kendallTauB, pairwiseAccuracy, pearson, spearman } from '../../src/eval/index.js';

/** n values rounded to a few levels, so many are tied. */
function tiedSample(rng: Rng, n: number, levels: number): number[] {
  return Array.from({ length: n }, () => Math.round(rng.normal() * levels) / levels);
}

function pairByPair(x: number[], y: number[]) {
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  let pairs = 0;
  let judged = 0;
  let agreed = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      pairs++;
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiedX++;
      if (dy === 0) tiedY++;
      if (dx * dy > 0) concordant++;
      if (dx * dy < 0) discordant++;
      if (dx !== 0) {
        judged++;
        agreed += dy === dx ? 1 : dy === 0 ? 0.5 : 0;
      }
    }
  }
  return { tauB: (concordant - discordant) / Math.sqrt((pairs - tiedX) * (pairs - tiedY)), pairwise: agreed / judged };
}

test('Kendall τ-b and pairwise accuracy equal their pair-by-pair definitions, ties included', () => {
  const rng = new Rng(7);
  for (const [n, levels] of [[2, 1], [3, 1], [50, 1], [300, 2], [301, 8]] as const) {
    const x = tiedSample(rng, n, levels);
    const y = x.map((v) => Math.round((v + rng.normal()) * levels) / levels);
    const reference = pairByPair(x, y);
    if (Number.isFinite(reference.tauB)) assert.ok(Math.abs(kendallTauB(x, y)! - reference.tauB) < 1e-12, `n=${n}`);
    else assert.equal(kendallTauB(x, y), null);
    assert.ok(Math.abs(pairwiseAccuracy(x, y)! - reference.pairwise) < 1e-12, `n=${n}`);
  }
});

test('AUROC is the share of toxic/non-toxic pairs where the toxic text has the lower r, ties one half', () => {
  const rng = new Rng(8);
  const g = tiedSample(rng, 200, 2);
  const r = g.map((v) => Math.round((v + 2 * rng.normal()) * 2) / 2);
  let won = 0;
  let pairs = 0;
  for (let i = 0; i < g.length; i++) {
    for (let j = 0; j < g.length; j++) {
      if (g[i]! < 0 && !(g[j]! < 0)) {
        pairs++;
        won += r[i]! < r[j]! ? 1 : r[i] === r[j] ? 0.5 : 0;
      }
    }
  }
  assert.ok(Math.abs(auroc(g, r)! - won / pairs) < 1e-12);
});

test('one class, constant and single-value inputs give null, not NaN', () => {
  assert.equal(auroc([1, 2, 3], [1, 2, 3]), null);
  assert.equal(auroc([-1, -2], [1, 2]), null);
  assert.equal(pairwiseAccuracy([1, 1, 1], [1, 2, 3]), null);
  assert.equal(pairwiseAccuracy([1, 2, 3], [5, 5, 5]), 0.5);
  assert.equal(kendallTauB([1, 2, 3], [5, 5, 5]), null);
  assert.equal(kendallTauB([1], [1]), null);
  assert.equal(spearman([1, 2, 3], [5, 5, 5]), null);
  assert.equal(pearson([0.1, 0.1, 0.1], [1, 2, 3]), null);
  assert.equal(pearson([4], [2]), null);
});

test('average ranks share the ranks they span', () => {
  assert.deepEqual(Array.from(averageRanks([10, 20, 10, 30, 20, 20])), [1.5, 4, 1.5, 6, 4, 4]);
});

test('Kendall and pairwise accuracy stay exact and O(n log n) at n = 50 000', () => {
  const rng = new Rng(9);
  const n = 50_000;
  const x = tiedSample(rng, n, 100);
  // y = −x reverses every pair x tells apart and keeps x's ties: τ-b is exactly −1.
  const y = x.map((v) => -v);
  assert.equal(kendallTauB(x, y), -1);
  assert.equal(pairwiseAccuracy(x, y), 0);
  assert.equal(kendallTauB(x, x), 1);
  assert.equal(pairwiseAccuracy(x, x), 1);
});
