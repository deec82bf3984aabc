import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RlhfError } from '../../src/rlhf/errors.js';
import { AdaptiveKLController, FixedKLController, klController } from '../../src/rlhf/kl-controller.js';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} vs ${expected}`);

describe('KL controllers', () => {
  it('adapts β over a known sequence of KLs as trlx does', () => {
    // β₀ = 0.1, target 6, horizon 100, 10 samples per update, so mult = 1 + clip(KL/6 − 1, ±0.2)·0.1:
    //   KL 9:   error 0.5 → 0.2;   β = 0.1 · 1.02         = 0.102
    //   KL 3:   error −0.5 → −0.2; β = 0.102 · 0.98       = 0.09996
    //   KL 6.6: error 0.1;         β = 0.09996 · 1.01     = 0.1009596
    //   KL 6:   error 0;           β unchanged              = 0.1009596
    //   KL 0:   error −1 → −0.2;   β = 0.1009596 · 0.98   = 0.098940408
    const controller = new AdaptiveKLController(0.1, 6, 100);
    const expected = [0.102, 0.09996, 0.1009596, 0.1009596, 0.098940408];
    [9, 3, 6.6, 6, 0].forEach((kl, i) => {
      controller.update(kl, 10);
      close(controller.value, expected[i]!);
    });
  });

  it('restores its coefficient from state()', () => {
    const controller = new AdaptiveKLController(0.1, 6, 100);
    controller.update(9, 10);
    const resumed = new AdaptiveKLController(0.1, 6, 100);
    resumed.restore(controller.state());
    controller.update(7, 50);
    resumed.update(7, 50);
    assert.equal(resumed.value, controller.value);
    assert.throws(() => resumed.restore({ value: Number.NaN }), RlhfError);
  });

  it('keeps a fixed coefficient, and the factory picks fixed for a null target', () => {
    const fixed = new FixedKLController(0.05);
    fixed.update(100, 1000);
    assert.equal(fixed.value, 0.05);
    assert.ok(klController({ initKlCoef: 0.05, target: null, horizon: 10000 }) instanceof FixedKLController);
    const adaptive = klController({ initKlCoef: 0.05, target: 6, horizon: 10000 });
    assert.ok(adaptive instanceof AdaptiveKLController);
    assert.equal(adaptive.value, 0.05);
  });

  it('rejects settings and KLs that would make β meaningless', () => {
    assert.throws(() => new AdaptiveKLController(0.1, 0, 100), /target/);
    assert.throws(() => new AdaptiveKLController(0.1, 6, 0), /horizon/);
    assert.throws(() => new FixedKLController(-1), RlhfError);
    assert.throws(() => new AdaptiveKLController(0.1, 6, 100).update(Number.NaN, 10), /NaN/);
  });
});
