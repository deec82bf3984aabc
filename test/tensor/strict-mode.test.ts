// The engine's readiness for a device backend, checked on real workloads under IRLENS_STRICT=1
// (set here, before the engine loads): no host read inside per-layer or per-token work (the
// engine throws HostReadError there), host reads per step that do not grow with the number of
// layers (nor, in generation, with the vocabulary), and no backend buffer left unreleased by a
// training step, a generation or a PPO step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

process.env.IRLENS_STRICT = '1';
const T = await import('../../src/tensor/index.js');
const { AdamW, Rng, clipGradNorm } = await import('../../src/nn/index.js');
const { generate } = await import('../../src/models/generation.js');
const { DEFAULT_PPO_CONFIG, HydraPolicy, ValueHead, trainPpo } = await import('../../src/rlhf/index.js');
const { causalBatch, seededModel, tinyConfig } = await import('../helpers/tiny-gpt.js');
const { byteTokenizer, tinyPolicy } = await import('../helpers/tiny-policy.js');

const rows = [[1, 5, 9, 3, 7, 2], [4, 4, 8, 1, 0, 6]];

/** Host reads (and the values they carried) and live buffers before and after fn. */
function measure(fn: () => void): { reads: number; elements: number; leaked: number } {
  const reads = T.hostReadCount();
  const elements = T.hostReadElementCount();
  const live = T.liveBufferCount();
  fn();
  return {
    reads: T.hostReadCount() - reads, elements: T.hostReadElementCount() - elements, leaked: T.liveBufferCount() - live,
  };
}

function trainingSteps(layers: number, steps: number) {
  const model = seededModel(tinyConfig({ num_hidden_layers: layers }), 1);
  const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
  const { inputs, labels } = causalBatch(rows);
  const step = () => {
    T.tidy(() => {
      const loss = T.crossEntropy(model.forward({ inputIds: inputs }).logits, labels);
      loss.backward();
      return loss.item();
    });
    clipGradNorm(model.parameters(), 0.5);
    optimizer.step();
    optimizer.zeroGrad();
  };
  step(); // the first step makes the optimizer's moments
  const measured = measure(() => {
    for (let i = 0; i < steps; i++) step();
  });
  const beforeRelease = T.liveBufferCount();
  optimizer.dispose();
  return { ...measured, momentsReleased: beforeRelease - T.liveBufferCount(), parameters: model.parameters().length };
}

describe('strict mode (IRLENS_STRICT=1)', () => {
  it('is on for this file', () => assert.equal(T.strictMode, true));

  it('refuses a host read inside per-layer work and allows it at the step boundary', () => {
    const x = T.tensor([1, 2, 3]);
    assert.throws(() => T.onDevice('a test layer', () => x.data), T.HostReadError);
    assert.throws(() => T.onDevice('a test layer', () => T.scalar(2).item()), T.HostReadError);
    assert.deepEqual(x.toArray(), [1, 2, 3]);
  });

  it('counts a buffer, of values or of ids, live until its tensor is disposed', () => {
    const before = T.liveBufferCount();
    const t = T.zeros([4]);
    assert.equal(T.liveBufferCount(), before + 1);
    t.dispose();
    assert.equal(T.liveBufferCount(), before);
    const ids = T.idTensor([1, 2, 3]);
    assert.equal(T.liveBufferCount(), before + 1, 'id buffers are counted too');
    ids.dispose();
    assert.equal(T.liveBufferCount(), before);
  });

  it('training steps (forward, backward, clipping, AdamW) leak no buffer and read the host as often whatever the depth', () => {
    const shallow = trainingSteps(1, 3);
    const deep = trainingSteps(4, 3);
    assert.equal(shallow.leaked, 0, 'buffers left by 3 steps of a 1-layer model');
    assert.equal(deep.leaked, 0, 'buffers left by 3 steps of a 4-layer model');
    assert.equal(deep.reads, shallow.reads, 'host reads per step grow with the number of layers');
    assert.equal(deep.momentsReleased, 2 * deep.parameters, 'the optimizer holds its two moments per parameter as backend buffers');
  });

  it('generation with a KV cache leaks no buffer and reads the host once per token whatever the depth', () => {
    const run = (layers: number) => {
      const model = seededModel(tinyConfig({ num_hidden_layers: layers }), 2);
      return measure(() => {
        generate(model, [[1, 2, 3], [4, 5]], { maxNewTokens: 5, doSample: true, seed: 3, eosTokenId: null });
      });
    };
    const shallow = run(1);
    const deep = run(4);
    assert.equal(shallow.leaked, 0);
    assert.equal(deep.leaked, 0);
    assert.equal(deep.reads, shallow.reads);
  });

  it('generation reads two values per row and token (the id and its log-probability), whatever the vocabulary', () => {
    const prompts = [[1, 2, 3], [4, 5], [6]];
    const steps = 5;
    for (const vocab of [32, 2048]) {
      const model = seededModel(tinyConfig({ vocab_size: vocab }), 4);
      for (const options of [{}, { doSample: true, seed: 3, topK: 50, topP: 0.9 }]) {
        const { elements } = measure(() => {
          generate(model, prompts, { maxNewTokens: steps, eosTokenId: null, ...options });
        });
        assert.equal(elements, 2 * prompts.length * steps, `values read with vocab ${vocab}, ${JSON.stringify(options)}`);
      }
    }
  });

  it('PPO steps (rollouts, experience, updates) leak no buffer from one step to the next', () => {
    const hydra = new HydraPolicy(tinyPolicy(7), new ValueHead(32, new Rng(2)), -1);
    const liveAtStep: number[] = [];
    trainPpo({
      hydra, tokenizer: byteTokenizer(), prompts: ['the whale', 'call me', 'a ship', 'sea'].map((prompt) => ({ prompt })),
      reward: (rollouts) => rollouts.map((r) => r.responseIds.length), rng: new Rng(11),
      config: {
        ...DEFAULT_PPO_CONFIG, totalSteps: 6, epochs: 100, batchSize: 4, numRollouts: 4, chunkSize: 4, ppoEpochs: 1,
        numLayersUnfrozen: -1, maxPromptTokens: 8, klTarget: null,
        generation: { maxNewTokens: 4, minNewTokens: 4, topK: 0, topP: 1, temperature: 1 },
      },
      onMetrics: (metrics) => {
        if (metrics['ppo/loss/total'] !== undefined) liveAtStep.push(T.liveBufferCount());
      },
    });
    assert.equal(liveAtStep.length, 6);
    assert.deepEqual(liveAtStep.slice(1), liveAtStep.slice(1).map(() => liveAtStep[1]), `live buffers after each PPO step: ${liveAtStep.join(', ')}`);
  });
});
