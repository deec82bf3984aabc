import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NnError, Rng, randUniform, randn } from '../../src/nn/index.js';

const draw = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.uniform());

describe('Rng', () => {
  it('gives the known xoshiro128** stream for seed 0 (splitmix64-seeded), so it never silently changes', () => {
    const rng = new Rng(0);
    assert.deepEqual(rng.getState().words, [0x7b1dcdaf, 0xe220a839, 0xa1b965f4, 0x6e789e6a], 'splitmix64(0) outputs');
    assert.deepEqual([rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()], [3737715805, 2584255861, 2876756834, 3286328325]);
    const again = new Rng(0);
    assert.deepEqual([again.uniform(), again.uniform()], [0.870254774404272, 0.6697971505310978]);
    assert.deepEqual([again.normal(), again.normal(), again.int(10)], [0.05468463102191066, -0.9459247929838188, 5]);
  });

  it('repeats a sequence for the same seed, number or string, and differs across seeds', () => {
    assert.deepEqual(draw(new Rng(42), 100), draw(new Rng(42), 100));
    assert.deepEqual(draw(new Rng('run-a'), 100), draw(new Rng('run-a'), 100));
    assert.notDeepEqual(draw(new Rng(42), 10), draw(new Rng(43), 10));
    assert.notDeepEqual(draw(new Rng('run-a'), 10), draw(new Rng('run-b'), 10));
    assert.notDeepEqual(draw(new Rng(-1), 10), draw(new Rng(1), 10));
    assert.deepEqual(draw(new Rng(0.5), 10), draw(new Rng(0.5), 10));
    assert.throws(() => new Rng(Number.NaN), NnError);
  });

  it('resumes the identical stream from getState(), through JSON, including a cached normal', () => {
    const rng = new Rng(7);
    rng.normal(); // leaves the second normal of the pair cached
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    const expected = [rng.normal(), rng.uniform(), rng.normal(), rng.int(1000)];
    const resumed = new Rng(123);
    resumed.setState(saved);
    assert.deepEqual([resumed.normal(), resumed.uniform(), resumed.normal(), resumed.int(1000)], expected);
    assert.throws(() => resumed.setState({ words: [0, 0, 0, 0], spareNormal: null }), NnError);
  });

  it('forks independent, deterministic streams without advancing the parent', () => {
    const parent = new Rng(1);
    const before = parent.getState();
    const a = draw(parent.fork('init'), 5);
    assert.deepEqual(parent.getState(), before);
    assert.deepEqual(draw(new Rng(1).fork('init'), 5), a);
    assert.notDeepEqual(draw(parent.fork('data'), 5), a);
    assert.notDeepEqual(draw(new Rng(1), 5), a);
  });

  it('draws uniforms in [0, 1) and normals with the right mean and standard deviation', () => {
    const rng = new Rng(3);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = rng.normal(2, 3);
      sum += z;
      sumSq += z * z;
    }
    assert.ok(min >= 0 && max < 1);
    const mean = sum / n;
    const std = Math.sqrt(sumSq / n - mean * mean);
    // Standard errors: 3/√n ≈ 0.0095 for the mean, 3/√(2n) ≈ 0.0067 for the std.
    assert.ok(Math.abs(mean - 2) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(std - 3) < 0.035, `std ${std}`);
  });

  it('draws integers uniformly and shuffles into a permutation', () => {
    const rng = new Rng(4);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.int(7)]++;
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `counts ${counts}`);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = rng.shuffle([...items]);
    assert.notDeepEqual(shuffled, items);
    assert.deepEqual([...shuffled].sort((x, y) => x - y), items);
    assert.throws(() => rng.int(0), NnError);
  });

  it('samples categorical indices with the given probabilities or softmax(logits)', () => {
    const rng = new Rng(5);
    const n = 50_000;
    const probs = [0.1, 0, 0.6, 0.3];
    const fromProbs = new Array(4).fill(0);
    const fromLogits = new Array(4).fill(0);
    const logits = probs.map(Math.log); // log 0 = −Infinity: never drawn
    for (let i = 0; i < n; i++) {
      fromProbs[rng.categorical(probs)]++;
      fromLogits[rng.categorical(logits.map((l) => l + 100), { logits: true })]++;
    }
    for (const counts of [fromProbs, fromLogits]) {
      assert.equal(counts[1], 0);
      // Binomial standard error at p = 0.6 is about 110 counts; allow 5 of them.
      probs.forEach((p, i) => assert.ok(Math.abs(counts[i] - p * n) < 550, `counts ${counts}`));
    }
    assert.equal(rng.categorical([0, 0, 2]), 2, 'unnormalised weights are fine');
    assert.throws(() => rng.categorical([0, 0]), NnError);
    assert.throws(() => rng.categorical([0.5, -0.1]), NnError);
    assert.throws(() => rng.categorical([0, Number.NaN], { logits: true }), NnError);
  });

  it('makes tensors of normal and uniform samples', () => {
    const x = randn([200, 50], new Rng(6), 0.02);
    assert.deepEqual(x.shape, [200, 50]);
    const values = x.toArray();
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.001, `mean ${mean} std ${std}`);
    const u = randUniform([1000], new Rng(6), -2, 3).toArray();
    assert.ok(u.every((v) => v >= -2 && v < 3));
    assert.deepEqual(randn([5], new Rng(9)).toArray(), randn([5], new Rng(9)).toArray());
  });
});
