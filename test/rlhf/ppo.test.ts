import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { DEFAULT_PPO_CONFIG, HydraPolicy, KlCeilingError, PpoDivergedError, ValueHead, trainPpo, type PpoConfig, type PpoMetrics, type Rollout } from '../../src/rlhf/index.js';
import { TrainingDivergedError } from '../../src/train/index.js';
import { byteTokenizer, tinyPolicy } from '../helpers/tiny-policy.js';
import { assertOnlyCheckpoint, temporaryDir, weightsOf as namedWeightsOf } from '../train/helpers.js';

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

function run(overrides: Partial<PpoConfig> = {}, options: { checkpointDir?: string; signal?: AbortSignal; onMetrics?: (m: PpoMetrics, step: number, hydra: HydraPolicy) => void; reward?: (r: readonly Rollout[]) => number[] } = {}) {
  const hydra = new HydraPolicy(tinyPolicy(7), new ValueHead(32, new Rng(2)), overrides.numLayersUnfrozen ?? config.numLayersUnfrozen);
  const records: [number, PpoMetrics][] = [];
  const result = trainPpo({
    hydra, tokenizer, prompts, reward: options.reward ?? shareOfTarget, config: { ...config, ...overrides }, rng: new Rng(11),
    ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onMetrics: (m, step) => {
      records.push([step, m]);
      options.onMetrics?.(m, step, hydra);
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
      // Killed after its final checkpoint, a run resumes with no round left and reports the same last round.
      const again = run(short, { checkpointDir: dir });
      assert.equal(again.result.resumedFromStep, 12);
      assert.deepEqual(withoutTimes([[12, again.result.last]]), withoutTimes([[12, whole.result.last]]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops on a NaN reward, naming it and the step it was to feed', () => {
    assert.throws(() => run({ totalSteps: 4 }, { reward: (r) => r.map(() => NaN) }), (error: unknown) => {
      assert.ok(error instanceof PpoDivergedError && error instanceof TrainingDivergedError, 'the divergence error every training loop raises');
      assert.match(error.message, /^the reward is NaN at step 1 of PPO \(tensor 'reward'; learning rate 0\.0300 at its peak\): training diverged/);
      assert.match(error.message, /check the reward for NaN/);
      return true;
    });
  });

  describe('a parameter turned NaN mid-run (rounds of 4 steps, a checkpoint after each)', () => {
    const short = { totalSteps: 12 };
    /** Poisons the first trainable parameter after PPO step `at`, noting the weights after step 4 (the first checkpoint's). */
    function poisonAfter(at: number) {
      let atStep4 = new Map<string, Float32Array>();
      const onMetrics = (m: PpoMetrics, step: number, hydra: HydraPolicy) => {
        if (m['ppo/loss/total'] === undefined) return; // a round's rollout record
        if (step === 4) atStep4 = namedWeightsOf(hydra.trainable);
        if (step === at) hydra.trainable.namedParameters()[0]![1].data.fill(NaN);
      };
      return { onMetrics, atStep4: () => atStep4 };
    }

    it('mid-round: the next loss stops the run; the last checkpoint is kept as it was and resumes', () => {
      const dir = temporaryDir();
      const poison = poisonAfter(6);
      assert.throws(() => run(short, { checkpointDir: dir, onMetrics: poison.onMetrics }), (error: unknown) => {
        assert.ok(error instanceof PpoDivergedError);
        assert.deepEqual([error.step, error.tensor, error.lastCheckpoint], [7, 'ppo/loss/total', { step: 4, dir: join(dir, 'step-00000004') }]);
        assert.match(error.message, /^the loss is NaN at step 7 of PPO \(tensor 'ppo\/loss\/total'/);
        assert.ok(error.message.endsWith(`The last good checkpoint, from step 4, is ${join(dir, 'step-00000004')}.`), error.message);
        return true;
      });
      assertOnlyCheckpoint(dir, 4, poison.atStep4());
      assert.equal(run(short, { checkpointDir: dir }).result.resumedFromStep, 4);
    });

    it("at a round's last step: the weights are checked before the checkpoint, so none holding NaN is written", () => {
      const dir = temporaryDir();
      const poison = poisonAfter(8);
      assert.throws(() => run(short, { checkpointDir: dir, onMetrics: poison.onMetrics }), (error: unknown) => {
        assert.ok(error instanceof PpoDivergedError);
        assert.equal(error.step, 8);
        assert.match(error.message, /^a weight is NaN at step 8 of PPO \(tensor '[\w.]+'/);
        assert.equal(error.lastCheckpoint?.step, 4);
        return true;
      });
      assertOnlyCheckpoint(dir, 4, poison.atStep4());
    });
  });

  it('stops when the KL passes the ceiling', () => {
    assert.throws(() => run({ klCeiling: 1e-9, learningRate: 5e-2, etaMin: 5e-2 }), KlCeilingError);
  });
});
