/**
 * ppo_step_s: the peer's PPO workload (../shared/bench/torch_peer.py) — one PPO iteration on a
 * Pythia-70M-shaped policy with trlx's value head and a full frozen reference copy: 16 rollouts
 * of 32-token prompts + 32 sampled tokens (top-k 30, KV cache), the policy, value head and
 * reference read them without gradients, per-token KL penalty (coefficient 0.1) plus a given
 * score on the last token, GAE (γ 1, λ 0.95), whitened advantages, then 4 epochs × 2 minibatches
 * of 8: clipped policy and value losses (vf_coef 1), backward, AdamW. It runs irlens's own PPO
 * code (rollouts, collectExperience, minibatchLoss); the reward model is not included.
 */
import { generate } from '../src/models/generation.js';
import { AdamW, Rng } from '../src/nn/index.js';
import { DEFAULT_PPO_CONFIG, HydraPolicy, ValueHead, collectExperience, minibatchLoss, type PpoConfig } from '../src/rlhf/index.js';
import * as T from '../src/tensor/index.js';
import { randomPythia70m } from './shapes.js';

const ROLLOUTS = 16;
const PROMPT_TOKENS = 32;
const NEW_TOKENS = 32;
const PAD = 1;

/** A function that runs one PPO iteration, and a release for its models. */
export function ppoIteration(): { iterate: () => void; dispose: () => void } {
  const rng = new Rng(0);
  const policy = randomPythia70m(rng);
  const hydra = new HydraPolicy(policy, new ValueHead(policy.config.hiddenSize, rng.fork('value head')), -1);
  const optimizer = new AdamW(hydra.trainable.parameters(), { lr: 1e-6, betas: [0.9, 0.95] });
  const config: PpoConfig = { ...DEFAULT_PPO_CONFIG, gamma: 1, lam: 0.95, cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 1 };
  const prompts = Array.from({ length: ROLLOUTS }, () => Array.from({ length: PROMPT_TOKENS }, () => 2 + rng.int(50304 - 2)));
  const scores = Float32Array.from({ length: ROLLOUTS }, () => rng.normal());
  const iterate = () => {
    policy.eval();
    const { newTokens } = generate(policy, prompts, { maxNewTokens: NEW_TOKENS, minNewTokens: NEW_TOKENS, doSample: true, topK: 30, padTokenId: PAD, eosTokenId: null, rng });
    const rollouts = prompts.map((promptIds, i) => ({ promptIds, responseIds: newTokens[i]! }));
    const { rows } = collectExperience(hydra, rollouts, scores, 0.1, PAD, ROLLOUTS);
    policy.train();
    for (let epoch = 0; epoch < 4; epoch++) {
      const order = rng.shuffle(rows.map((_, i) => i));
      for (const minibatch of [order.slice(0, 8), order.slice(8)]) {
        T.tidy(() => minibatchLoss(hydra, minibatch.map((i) => rows[i]!), config, PAD).loss.backward());
        optimizer.step();
        optimizer.zeroGrad();
      }
    }
  };
  return { iterate, dispose: () => { hydra.dispose(); hydra.trainable.dispose(); } };
}
