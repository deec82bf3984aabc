/**
 * A tiny synthetic IRL task: the expert's continuations contain a marker token somewhere and the
 * baseline's never do, so a reward that ranks expert texts above baseline texts must find it.
 */
import { rewardRows, splitByPrompt, type Continuation, type Demonstrations, type PromptDemonstrations, type RewardRows } from '../../src/irl/index.js';
import { Rng } from '../../src/nn/index.js';

export const MARKER = 7;
const VOCAB = 32;

function randomTokens(rng: Rng, length: number): number[] {
  return Array.from({ length }, () => {
    let id: number;
    do id = 2 + rng.int(VOCAB - 2);
    while (id === MARKER);
    return id;
  });
}

function continuation(rng: Rng, expert: boolean): Continuation {
  const ids = randomTokens(rng, 4 + rng.int(5));
  if (expert) ids[rng.int(ids.length)] = MARKER;
  return { ids, text: ids.join(' '), groundTruth: expert ? 1 : -1 };
}

export function markerDemonstrations(prompts: number, perPrompt: number, seed: number): Demonstrations {
  const rng = new Rng(seed);
  const list: PromptDemonstrations[] = Array.from({ length: prompts }, () => {
    const promptIds = randomTokens(rng, 2);
    return {
      prompt: promptIds.join(' '),
      promptIds,
      expert: Array.from({ length: perPrompt }, () => continuation(rng, true)),
      baseline: Array.from({ length: perPrompt }, () => continuation(rng, false)),
    };
  });
  return { tokenizers: { expert: 'tiny', baseline: 'tiny' }, prompts: list };
}

/** The marker task's rows, split by prompt into train / validation / test. */
export function markerSplits(prompts = 40, perPrompt = 2, seed = 11): { train: RewardRows; validation: RewardRows; test: RewardRows } {
  const split = splitByPrompt(markerDemonstrations(prompts, perPrompt, seed).prompts, { validation: 0.2, test: 0.3 }, seed);
  return {
    train: rewardRows(split.train, 'prompt+continuation'),
    validation: rewardRows(split.validation, 'prompt+continuation'),
    test: rewardRows(split.test, 'prompt+continuation'),
  };
}
