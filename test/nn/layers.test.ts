import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dropout, Embedding, LayerNorm, Linear, Module, NnError, RMSNorm, Rng, initWeights } from '../../src/nn/index.js';
import { idTensor, ones, sum, tensor } from '../../src/tensor/index.js';

const close = (actual: number[], expected: number[], tol = 1e-5) =>
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `index ${i}: ${a} vs ${expected[i]}`));

describe('layers', () => {
  it('Linear computes x·Wᵀ + b with W of shape [out, in], and back-propagates', () => {
    const linear = new Linear(3, 2);
    linear.weight.data.set([1, 2, 3, -1, 0, 0.5]);
    linear.bias!.data.set([0.5, -2]);
    const x = tensor([[1, 0, 2], [-1, 1, 1]]);
    const y = linear.forward(x);
    // Row 1: [1+0+6+0.5, -1+0+1-2]; row 2: [-1+2+3+0.5, 1+0+0.5-2].
    assert.deepEqual(y.shape, [2, 2]);
    close(y.toArray(), [7.5, -2, 4.5, -0.5]);
    sum(y).backward();
    close(linear.weight.grad!.toArray(), [0, 1, 3, 0, 1, 3], 0);
    close(linear.bias!.grad!.toArray(), [2, 2], 0);

    const noBias = new Linear(3, 2, { bias: false });
    assert.equal(noBias.bias, null);
    assert.deepEqual(noBias.namedParameters().map(([n]) => n), ['weight']);
    assert.deepEqual(noBias.forward(tensor([[[1, 2, 3]]])).shape, [1, 1, 2], 'batched input keeps its leading dims');
  });

  it('initialises from a seeded rng: normal weights, zero biases, unit norm weights', () => {
    const a = new Linear(64, 32, { rng: new Rng(1), std: 0.5 });
    const b = new Linear(64, 32, { rng: new Rng(1), std: 0.5 });
    assert.deepEqual(a.weight.toArray(), b.weight.toArray());
    assert.ok(a.bias!.toArray().every((v) => v === 0));
    const w = a.weight.toArray();
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    assert.ok(Math.abs(std - 0.5) < 0.03, `std ${std}`);
    assert.ok(new Linear(2, 2).weight.toArray().every((v) => v === 0), 'without an rng weights wait for a checkpoint or initWeights');

    class Tiny extends Module {
      readonly embed = this.addModule('embed', new Embedding(5, 4));
      readonly norm = this.addModule('norm', new LayerNorm(4));
      readonly head = this.addModule('head', new Linear(4, 2));
    }
    const m1 = new Tiny();
    const m2 = new Tiny();
    m1.norm.weight!.data.fill(3);
    initWeights(m1, new Rng(9), { std: 0.1 });
    initWeights(m2, new Rng(9), { std: 0.1 });
    for (const [name, t] of m1.stateDict()) assert.deepEqual(t.toArray(), m2.stateDict().get(name)!.toArray(), name);
    assert.ok(m1.norm.weight!.toArray().every((v) => v === 1));
    assert.ok(m1.embed.weight.toArray().some((v) => v !== 0));
  });

  it('Embedding looks up rows by id', () => {
    const e = new Embedding(3, 2);
    e.weight.data.set([0, 1, 10, 11, 20, 21]);
    assert.deepEqual(e.forward(idTensor([[2, 0], [1, 1]])).toArray(), [20, 21, 0, 1, 10, 11, 10, 11]);
  });

  it('LayerNorm and RMSNorm normalise the last dimension', () => {
    const x = tensor([[1, 2, 3, 4]]);
    const ln = new LayerNorm(4, { eps: 0 });
    const mean = 2.5;
    const std = Math.sqrt((1.5 ** 2 * 2 + 0.5 ** 2 * 2) / 4);
    close(ln.forward(x).toArray(), [1, 2, 3, 4].map((v) => (v - mean) / std));
    assert.deepEqual(new LayerNorm(4, { elementwiseAffine: false }).parameters(), []);
    const rms = new RMSNorm(4, { eps: 0 });
    rms.weight.data.set([1, 2, 1, 1]);
    const r = Math.sqrt((1 + 4 + 9 + 16) / 4);
    close(rms.forward(x).toArray(), [1 / r, 4 / r, 3 / r, 4 / r]);
  });

  it('Dropout drops and rescales in training only', () => {
    const drop = new Dropout(0.5, new Rng(3));
    const x = ones([1000]);
    const y = drop.forward(x).toArray();
    assert.ok(y.every((v) => v === 0 || v === 2));
    const kept = y.filter((v) => v === 2).length;
    assert.ok(Math.abs(kept - 500) < 80, `kept ${kept}`);
    drop.eval();
    assert.equal(drop.forward(x), x);
    assert.throws(() => new Dropout(1, new Rng(0)), NnError);
  });
});
