/**
 * What the reward server scores: any irlens RewardFunction, with what it reads of a prompt and its
 * response (the whole text, or the response alone as a recovered reward may have been trained)
 * and whether /get_reward shapes it against a reference continuation, as the paper's RLHF reward does.
 */
import { readFileSync } from 'node:fs';
import type { RewardInput } from '../irl/demonstrations.js';
import { modelFolderFile } from '../io/inside-folder.js';
import type { RewardFunction } from '../reward/index.js';
import { ServeError } from './errors.js';

export interface ServedReward {
  reward: RewardFunction;
  /** What the reward reads: the query (prompt + response) whole, or the response alone. */
  input: RewardInput;
  /**
   * Shape /get_reward's rewards against OpenRLHF's labels, as reward/shaped.ts does:
   * r = s(prompt + response) − s(prompt + label), the label being the reference continuation.
   */
  shaped: boolean;
  /** What /health says about the reward (its folder, kind, settings). */
  description: Record<string, unknown>;
}

/** A folder's config.json fields that decide how to serve it. */
export interface RewardFolderConfig {
  /** 'recovered' for a one-output model (a reward model), 'classifier' for one with labels. */
  kind: 'recovered' | 'classifier';
  /** What a recovered reward was trained to read (config.json's irlens_reward_input), if it says. */
  rewardInput?: RewardInput;
}

/**
 * Reads config.json as transformers does for the number of outputs: id2label's size, else
 * num_labels, else 2 (transformers' default).
 */
export function readRewardFolderConfig(folder: string): RewardFolderConfig {
  let raw: { id2label?: object; num_labels?: number; irlens_reward_input?: RewardInput };
  try {
    raw = JSON.parse(readFileSync(modelFolderFile(folder, 'config.json'), 'utf8')) as typeof raw;
  } catch (error) {
    throw new ServeError(`cannot read ${folder}/config.json (${(error as Error).message}); irlens serve takes a recovered reward folder or a sequence-classifier folder`);
  }
  const outputs = raw.id2label ? Object.keys(raw.id2label).length : raw.num_labels ?? 2;
  return { kind: outputs === 1 ? 'recovered' : 'classifier', ...(raw.irlens_reward_input ? { rewardInput: raw.irlens_reward_input } : {}) };
}
