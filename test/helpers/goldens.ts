/** Golden tensors of a fixture, and the error measure the model tests compare them with. */
import assert from 'node:assert/strict';
import { readSafetensors } from '../../src/io/index.js';
import * as T from '../../src/tensor/index.js';
import { fixture } from './fixtures.js';

/** The fixture's golden.safetensors, with a getter that fails the test on a missing key. */
export function fixtureGoldens(name: string) {
  const folder = fixture(name);
  const golden = readSafetensors(`${folder}/golden.safetensors`);
  const goldenTensor = (key: string): T.Tensor => {
    const record = golden.get(key);
    assert.ok(record, `golden.safetensors has ${key}`);
    return T.hostTensor(record.data, record.shape);
  };
  return { folder, golden, goldenTensor };
}

/** max |a − b| / max(1, |b|) */
export function maxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  return worst;
}
