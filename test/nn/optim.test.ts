import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Adam, AdamW, LrScheduler, NnError, NonFiniteGradientError, clipGradNorm, linearWarmupLinearDecay } from '../../src/nn/index.js';
import { mul, sum, tensor, type Tensor } from '../../src/tensor/index.js';

const start = [1.0, -2.0];
const gradients = [[0.1, -0.2], [0.3, 0.05], [-0.4, 0.2]];
const hyper = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };

/** The update of the PyTorch docs (torch.optim.Adam / AdamW), in float64. */
function expectedAdam(decoupled: boolean): number[] {
  const { lr, beta1, beta2, eps, weightDecay } = hyper;
  const theta = [...start];
  const m = [0, 0];
  const v = [0, 0];
  gradients.forEach((grad, index) => {
    const t = index + 1;
    for (let i = 0; i < 2; i++) {
      let g = grad[i]!;
      if (decoupled) theta[i]! -= lr * weightDecay * theta[i]!;
      else g += weightDecay * theta[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * g;
      v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
      const mHat = m[i]! / (1 - beta1 ** t);
      const vHat = v[i]! / (1 - beta2 ** t);
      theta[i]! -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return theta;
}

/** loss = Σ p·c has gradient c, so backward() delivers exactly the chosen gradient. */
function backwardWithGradient(p: Tensor, grad: number[]): void {
  sum(mul(p, tensor(grad))).backward();
}

function run(optimizer: AdamW | Adam, p: Tensor): number[] {
  for (const grad of gradients) {
    optimizer.zeroGrad();
    backwardWithGradient(p, grad);
    optimizer.step();
  }
  return p.toArray();
}

const assertClose = (actual: number[], expected: number[], tol = 1e-6) =>
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `index ${i}: ${a} vs ${expected[i]}`));

const options = { lr: hyper.lr, betas: [hyper.beta1, hyper.beta2] as [number, number], eps: hyper.eps, weightDecay: hyper.weightDecay };

describe('optimizers', () => {
  it('AdamW follows torch.optim.AdamW (decoupled weight decay) for 3 steps', () => {
    const p = tensor(start, [2], true);
    const expected = expectedAdam(true);
    assertClose(run(new AdamW([p], options), p), expected);
    assert.notDeepEqual(expected.map((x) => x.toFixed(4)), expectedAdam(false).map((x) => x.toFixed(4)), 'the two decays differ measurably');
  });

  it('Adam follows torch.optim.Adam (L2 added to the gradient) for 3 steps', () => {
    const p = tensor(start, [2], true);
    assertClose(run(new Adam([p], options), p), expectedAdam(false));
    assert.equal(new Adam([p], { lr: 1 }).weightDecay, 0);
    assert.equal(new AdamW([p], { lr: 1 }).weightDecay, 0.01);
  });

  it('skips frozen parameters and gradients cleared by zeroGrad, with per-parameter step counts', () => {
    const a = tensor([1, 1], [2], true);
    const b = tensor([1, 1], [2], true);
    const optimizer = new AdamW([a, b], { lr: 0.1, weightDecay: 0 });
    optimizer.step(); // no gradients at all yet
    assert.deepEqual([a.toArray(), b.toArray()], [[1, 1], [1, 1]]);

    backwardWithGradient(a, [1, 1]);
    b.requiresGrad = false;
    optimizer.step();
    assert.deepEqual(b.toArray(), [1, 1]);
    assertClose(a.toArray(), [0.9, 0.9]); // Adam's first step moves by lr·sign(g)

    optimizer.zeroGrad();
    assert.equal(a.grad, null, 'zeroGrad frees gradients, as torch set_to_none');
    optimizer.step(); // a has no gradient: no update
    assertClose(a.toArray(), [0.9, 0.9]);

    b.requiresGrad = true;
    backwardWithGradient(b, [-1, 2]);
    optimizer.step();
    const state = optimizer.stateDict().state;
    assert.equal(state[0]!.step, 1);
    assert.equal(state[1]!.step, 1, 'b starts its own count at its first update');
    assertClose(b.toArray(), [1.1, 0.9]);
    assert.throws(() => new AdamW([a], { lr: -1 }), NnError);
    assert.throws(() => (optimizer.lr = Number.NaN), NnError);
  });

  it('resumes exactly from a saved state, learning-rate schedule included', () => {
    const gradientAt = (step: number): number[] => [Math.sin(step), Math.cos(3 * step), 0.1 * step];
    const train = (p: Tensor, optimizer: AdamW, scheduler: LrScheduler, from: number, to: number) => {
      for (let step = from; step < to; step++) {
        optimizer.zeroGrad();
        backwardWithGradient(p, gradientAt(step));
        optimizer.step();
        scheduler.step();
      }
    };
    const p = tensor([0.5, -0.5, 2], [3], true);
    const optimizer = new AdamW([p], { lr: 0.01 });
    const scheduler = new LrScheduler(optimizer, linearWarmupLinearDecay(2, 10));
    train(p, optimizer, scheduler, 0, 4);
    const saved = { values: p.toArray(), optimizer: optimizer.stateDict(), scheduler: scheduler.stateDict() };
    train(p, optimizer, scheduler, 4, 8);
    assert.ok(saved.optimizer.state[0]!.step === 4, 'the saved state is a copy, not a live view');

    const resumedParam = tensor(saved.values, [3], true);
    const resumed = new AdamW([resumedParam], { lr: 0.01 });
    resumed.loadStateDict(saved.optimizer);
    // Built after the load, the scheduler would take the scheduled lr as its base; the saved base wins.
    const resumedScheduler = new LrScheduler(resumed, linearWarmupLinearDecay(2, 10));
    resumedScheduler.loadStateDict(saved.scheduler);
    assert.equal(resumedScheduler.baseLr, 0.01);
    train(resumedParam, resumed, resumedScheduler, 4, 8);
    assert.deepEqual(resumedParam.toArray(), p.toArray());
    assert.deepEqual(resumed.stateDict(), optimizer.stateDict());
    assert.throws(() => new AdamW([p, resumedParam], { lr: 1 }).loadStateDict(saved.optimizer), /saved for a different/);
  });
});

describe('clipGradNorm', () => {
  const withGrad = (values: number[]): Tensor => {
    const p = tensor(values.map(() => 0), [values.length], true);
    backwardWithGradient(p, values);
    return p;
  };

  it('scales all gradients by maxNorm / (norm + 1e-6) when the global norm exceeds maxNorm', () => {
    const a = withGrad([3, 4]);
    const b = withGrad([12]);
    assert.equal(clipGradNorm([a, b], 6.5), 13);
    const scale = 6.5 / (13 + 1e-6);
    assertClose(a.grad!.toArray(), [3 * scale, 4 * scale]);
    assertClose(b.grad!.toArray(), [12 * scale]);
    const clipped = b.grad!.toArray();
    assertClose([clipGradNorm([a, b], 100)], [6.5]);
    assert.deepEqual(b.grad!.toArray(), clipped, 'a norm below maxNorm leaves the gradients alone');
  });

  it('ignores missing and frozen gradients', () => {
    const a = withGrad([3, 4]);
    const cleared = withGrad([100]);
    cleared.grad = null;
    const frozen = withGrad([100]);
    frozen.requiresGrad = false;
    assert.equal(clipGradNorm([a, cleared, frozen], 10), 5);
  });

  it('throws a typed error naming the parameter when a gradient is NaN or infinite', () => {
    const good = withGrad([1]);
    const bad = withGrad([1, Number.NaN]);
    bad.name = 'layers.3.mlp.weight';
    assert.throws(() => clipGradNorm([good, bad], 1), (e: unknown) => {
      assert.ok(e instanceof NonFiniteGradientError);
      assert.match(e.message, /NaN or Inf.*'layers\.3\.mlp\.weight'.*[Ll]ower the learning rate/);
      return true;
    });
    assert.throws(() => clipGradNorm([withGrad([Infinity])], 1), NonFiniteGradientError);
  });
});
