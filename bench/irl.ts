/**
 * irl_step_s: the peer's IRL workload (../shared/bench/torch_peer.py) — one max-margin step of a
 * reward model made of a Pythia-70M-shaped backbone and a bias-free linear head on the last
 * token: 4 (expert, baseline) pairs, 8 texts of 96 tokens, forward, backward, Adam. It runs
 * irlens's own RewardModel and maxMarginLoss.
 */
import { RewardModel, maxMarginLoss, padRows } from '../src/irl/index.js';
import { AdamW, Rng } from '../src/nn/index.js';
import * as T from '../src/tensor/index.js';
import { randomPythia70m } from './shapes.js';

const PAIRS = 4;
const TOKENS = 96;

/** A function that runs one IRL step, and a release for its model. */
export function irlStep(): { step: () => void; dispose: () => void } {
  const rng = new Rng(0);
  const lm = randomPythia70m(rng);
  const { config } = lm;
  const reward = RewardModel.fromCausalLM(lm, { pooling: 'last', rng: rng.fork('head') });
  lm.dispose(); // the reward model holds its own copy of the backbone
  reward.setTrainingMode({ kind: 'full' });
  // torch's Adam: AdamW without weight decay.
  const optimizer = new AdamW(reward.classifier.parameters().filter((p) => p.requiresGrad), { lr: 1e-5, weightDecay: 0 });
  // Rows 0..3 are the expert texts, 4..7 their baseline partners.
  const batch = padRows(Array.from({ length: 2 * PAIRS }, () => Array.from({ length: TOKENS }, () => 2 + rng.int(config.vocabSize - 2))), 0);
  reward.classifier.train();
  const step = () => {
    T.tidy(() => {
      const scores = reward.scores(batch);
      maxMarginLoss(T.sub(T.slice(scores, 0, 0, PAIRS), T.slice(scores, 0, PAIRS))).backward();
    });
    optimizer.step();
    optimizer.zeroGrad();
  };
  return { step, dispose: () => reward.classifier.dispose() };
}
