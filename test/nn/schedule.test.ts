import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LrScheduler, NnError, constant, cosineAnnealing, linearWarmup, linearWarmupCosineDecay, linearWarmupLinearDecay,
} from '../../src/nn/index.js';

const base = 0.3;
const at = (schedule: (step: number, baseLr: number) => number, steps: number[]) => steps.map((s) => schedule(s, base));
const assertClose = (actual: number[], expected: number[]) =>
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) < 1e-12, `index ${i}: ${a} vs ${expected[i]}`));

describe('learning-rate schedules', () => {
  it('constant and linear warm-up', () => {
    assertClose(at(constant(), [0, 5, 1000]), [base, base, base]);
    assertClose(at(linearWarmup(4), [0, 1, 3, 4, 100]), [0, base / 4, (3 * base) / 4, base, base]);
    assertClose(at(linearWarmup(0), [0, 1]), [base, base]);
  });

  it("linear warm-up then linear decay, as transformers' get_linear_schedule_with_warmup", () => {
    // lambda(step) = step / warmup before warmup, else max(0, (total − step) / (total − warmup)).
    assertClose(at(linearWarmupLinearDecay(2, 10), [0, 1, 2, 6, 10, 12]), [0, base / 2, base, base * 0.5, 0, 0]);
  });

  it("cosine annealing in torch's closed form", () => {
    const etaMin = 0.01;
    const closedForm = (t: number) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / 8))) / 2;
    assertClose(at(cosineAnnealing(8, etaMin), [0, 1, 4, 7, 8]), [0, 1, 4, 7, 8].map(closedForm));
    assertClose(at(cosineAnnealing(8, etaMin), [0, 4, 8]), [base, (base + etaMin) / 2, etaMin]);
  });

  it('linear warm-up then cosine decay to etaMin, where it stays', () => {
    const schedule = linearWarmupCosineDecay(2, 12, 0.05);
    const cosine = (t: number) => 0.05 + ((base - 0.05) * (1 + Math.cos((Math.PI * t) / 10))) / 2;
    assertClose(at(schedule, [0, 1, 2, 5, 7, 12, 20]), [0, base / 2, base, cosine(3), cosine(5), 0.05, 0.05]);
    assert.throws(() => linearWarmupCosineDecay(5, 3), NnError);
    assert.throws(() => cosineAnnealing(0), NnError);
  });

  it('LrScheduler sets the optimizer lr for step 0 at construction and after each step()', () => {
    const optimizer = { lr: base };
    const scheduler = new LrScheduler(optimizer, linearWarmup(2));
    assert.equal(optimizer.lr, 0);
    scheduler.step();
    assert.equal(optimizer.lr, base / 2);
    scheduler.step();
    scheduler.step();
    assert.equal(optimizer.lr, base);
    assert.deepEqual(scheduler.stateDict(), { step: 3, baseLr: base });
  });
});
