import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { referenceBackend } from '../../src/tensor/reference/index.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { causalBatch, seededModel, tinyConfig, train } from '../helpers/tiny-gpt.js';

const text = 'the quick brown fox jumps over the lazy dog while the cat sleeps by the warm fire. ';
const alphabet = [...new Set(text)].sort();
const tokens = [...text.repeat(20)].map((c) => alphabet.indexOf(c));

describe('a 2-layer GPT-NeoX on the engine', () => {
  it('passes a finite-difference check of every parameter gradient', () => {
    const config = tinyConfig({ vocab_size: 7, hidden_size: 8, num_attention_heads: 2, intermediate_size: 12, initializer_range: 0.5 });
    T.withBackend(referenceBackend, () => {
      const model = seededModel(config, 3);
      const { inputs, labels } = causalBatch([[1, 4, 2, 6, 0], [3, 3, 5, 1, 2]]);
      const params = model.parameters();
      gradcheck('2-layer GPT-NeoX', () => T.crossEntropy(model.forward({ inputIds: inputs }).logits, labels), params);
    });
  });

  it('learns a fixed text: loss falls below 0.6 nats within 150 steps, identically for the same seed', () => {
    const config = tinyConfig({ vocab_size: alphabet.length });
    const options = { steps: 150, batch: 8, t: 24, lr: 3e-3, seed: 7 };
    const first = train(seededModel(config, 1), tokens, options);
    const second = train(seededModel(config, 1), tokens, options);
    assert.ok(first[0]! > 2.5, `starts near log(${alphabet.length}) = ${Math.log(alphabet.length).toFixed(2)}, got ${first[0]}`);
    const final = first.slice(-10).reduce((a, b) => a + b) / 10;
    assert.ok(final < 0.6, `mean loss of the last 10 steps is ${final}`);
    assert.deepEqual(second, first, 'two runs with the same seed give identical losses');
  });

  it('keeps resident memory steady over 50 training steps', () => {
    // A child process measures RSS after full collections. A fixed mmap threshold makes glibc
    // return every freed tensor buffer to the system at once, so RSS follows live memory rather
    // than the allocator's caching.
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', 'test/helpers/memory-steady.ts'], {
      encoding: 'utf8',
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' },
    });
    assert.equal(child.status, 0, child.stderr);
    const { warmMb, afterBlocksMb } = JSON.parse(child.stdout.trim().split('\n').pop()!) as { warmMb: number; afterBlocksMb: number[] };
    const growth = afterBlocksMb.map((mb) => mb - warmMb);
    assert.ok(Math.max(...growth) < 24, `RSS after each block of 10 steps grew by ${growth.map((g) => g.toFixed(1)).join(', ')} MB from ${warmMb.toFixed(0)} MB`);
  });
});
