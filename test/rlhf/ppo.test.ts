import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { DEFAULT_PPO_CONFIG, HydraPolicy, KlCeilingError, PpoDivergedError, ValueHead, trainPpo, type PpoConfig, type PpoMetrics, type Rollout } from '../../src/rlhf/index.js';
import { byteTokenizer, tinyPolicy } from '../helpers/tiny-policy.js';

const tokenizer = byteTokenizer();
const prompts = ['the whale', 'call me', 'a ship', 'sea', 'oil and bone', 'the mast', 'harpoon', 'white'].map((prompt) => ({ prompt }));

/** A reward with an obvious optimum, 1: the share of response tokens with an even id (about a half at first). */
const shareOfTarget = (rollouts: readonly Rollout[]) => rollouts.map((r) => r.responseIds.filter((id) => id % 2 === 0).length / r.responseIds.length);

const config: PpoConfig = {
  ...DEFAULT_PPO_CONFIG,
  totalSteps: 48, epochs: 100, batchSize: 8, numRollouts: 16, chunkSize: 16, ppoEpochs: 2, numLayersUnfrozen: -1,
  maxPromptTokens: 16, learningRate: 3e-2, etaMin: 3e-2, initKlCoef: 0.01, klTarget: null,
  generation: { maxNewTokens: 6, minNewTokens: 6, topK: 0, topP: 1, temperature: 1 },
};

function run(overrides: Partial<PpoConfig> = {}, options: { checkpointDir?: string; signal?: AbortSignal; onMetrics?: (m: PpoMetrics, step: number) => void; reward?: (r: readonly Rollout[]) => number[] } = {}) {
  const hydra = new HydraPolicy(tinyPolicy(7), new ValueHead(32, new Rng(2)), overrides.numLayersUnfrozen ?? config.numLayersUnfrozen);
  const records: [number, PpoMetrics][] = [];
  const result = trainPpo({
    hydra, tokenizer, prompts, reward: options.reward ?? shareOfTarget, config: { ...config, ...overrides }, rng: new Rng(11),
    ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onMetrics: (m, step) => {
      records.push([step, m]);
      options.onMetrics?.(m, step);
    },
  });
  return { hydra, result, records };
}

const weightsOf = (hydra: HydraPolicy) => hydra.trainable.namedParameters().map(([name, p]) => [name, Array.from(p.data)] as const);
const withoutTimes = (records: [number, PpoMetrics][]) => records.map(([step, m]) => [step, Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('time/') && k !== 'ppo/tokens_per_s'))]);

describe('PPO', () => {
  it('reaches the obvious optimum of a reward that counts one token', () => {
    const { records } = run();
    const rewards = records.filter(([, m]) => m['rollout/reward/mean'] !== undefined).map(([, m]) => m['rollout/reward/mean']!);
    assert.ok(rewards[0]! < 0.7, `the untrained policy already scores ${rewards[0]}`);
    assert.ok(rewards.at(-1)! > 0.95, `after training the policy scores only ${rewards.at(-1)} (rewards by round: ${rewards.map((r) => r.toFixed(2)).join(' ')})`);
  });

  it('resumed after a stop, continues bit for bit as a run that never stopped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'irlens-ppo-'));
    try {
      const short = { totalSteps: 12 };
      const whole = run(short);
      const controller = new AbortController();
      assert.throws(() => run(short, { checkpointDir: dir, signal: controller.signal, onMetrics: (_, step) => step === 7 && controller.abort() }));
      const resumed = run(short, { checkpointDir: dir });
      assert.equal(resumed.result.resumedFromStep, 4);
      assert.deepEqual(weightsOf(resumed.hydra), weightsOf(whole.hydra));
      assert.deepEqual(withoutTimes(resumed.records), withoutTimes(whole.records).filter(([step]) => (step as number) > 4));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops on a NaN reward, naming it', () => {
    assert.throws(() => run({ totalSteps: 4 }, { reward: (r) => r.map(() => NaN) }), (error: unknown) => error instanceof PpoDivergedError && /the reward is NaN/.test(error.message));
  });

  it('stops when the KL passes the ceiling', () => {
    assert.throws(() => run({ klCeiling: 1e-9, learningRate: 5e-2, etaMin: 5e-2 }), KlCeilingError);
  });
});
