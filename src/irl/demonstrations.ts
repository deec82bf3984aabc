/**
 * Demonstrations for IRL: for each prompt, k continuations from the expert (the RLHF'd policy)
 * and k from the baseline (the base model), with token ids, texts and, when known, the
 * ground-truth reward. The reward model reads them as pairs (expert text, baseline text) of the
 * same prompt, either with the prompt in front (the paper's choice) or the continuation alone.
 */
import { createHash } from 'node:crypto';
import { Rng } from '../nn/index.js';
import type { Tokenizer } from '../text/index.js';
import { DemonstrationsError, TokenizerMismatchError, TooFewDemonstrationsError } from './errors.js';

export interface Continuation {
  /** The continuation's token ids as the model generated them (the prompt's not included). */
  ids: number[];
  text: string;
  /** The ground-truth reward of prompt + continuation, when it was scored. */
  groundTruth?: number;
  /** The ground-truth reward of the continuation read alone: what the model wrote, whatever the prompt. */
  groundTruthContinuation?: number;
}

export interface PromptDemonstrations {
  prompt: string;
  promptIds: number[];
  expert: Continuation[];
  baseline: Continuation[];
}

export interface Demonstrations {
  /** tokenizerFingerprint of each model's tokenizer: ids are comparable only when they are equal. */
  tokenizers: { expert: string; baseline: string };
  prompts: PromptDemonstrations[];
}

/** What the reward model reads: the prompt and its continuation (the paper), or the continuation alone. */
export const REWARD_INPUTS = ['prompt+continuation', 'continuation'] as const;
export type RewardInput = (typeof REWARD_INPUTS)[number];

/** An expert text and a baseline text of the same prompt, as indices into RewardRows.rows. */
export interface DemonstrationPair {
  expert: number;
  baseline: number;
  /** Index of the prompt in the list the rows were made from. */
  prompt: number;
}

/** Demonstrations as the reward model's inputs: one row of ids per text, and the pairs over them. */
export interface RewardRows {
  rows: number[][];
  /** Which model wrote each row. */
  fromExpert: boolean[];
  /** Each row's ground-truth reward (NaN where unknown). */
  groundTruth: number[];
  pairs: DemonstrationPair[];
}

/** One model's side of the demonstrations at a glance. */
export interface ContinuationStats {
  texts: number;
  /** Mean length in tokens, the eos included when it was generated. */
  meanTokens: number;
  /** Share toxic by the ground truth (P_tox > 0.5) of the continuation alone; null when not judged. */
  toxicShare: number | null;
}

/**
 * Length and toxicity of one model's continuations. A reward learnt from the pairs learns whatever
 * tells the two sides apart: when the expert writes much shorter texts, length is part of it.
 */
export function describeContinuations(continuations: readonly Continuation[]): ContinuationStats {
  const texts = continuations.length;
  const judged = continuations.filter((c) => c.groundTruthContinuation !== undefined);
  return {
    texts,
    meanTokens: texts === 0 ? 0 : continuations.reduce((sum, c) => sum + c.ids.length, 0) / texts,
    toxicShare: judged.length === 0 ? null : judged.filter((c) => c.groundTruthContinuation! < -0.5).length / judged.length,
  };
}

/** A short hash of a tokenizer's vocabulary (every id's token string): equal for tokenizers that give the same ids. */
export function tokenizerFingerprint(tokenizer: Tokenizer): string {
  const hash = createHash('sha256');
  for (let id = 0; id < tokenizer.vocabSize; id++) hash.update(`${id}\u0000${tokenizer.idToToken(id) ?? ''}\u0001`);
  return hash.digest('hex').slice(0, 16);
}

/** Refuses demonstrations whose two models tokenise differently, or prompts without both models' texts. */
export function checkDemonstrations(demonstrations: Demonstrations): void {
  const { expert, baseline } = demonstrations.tokenizers;
  if (expert !== baseline) {
    throw new TokenizerMismatchError(`the expert's tokenizer (${expert}) differs from the baseline's (${baseline}), so their token ids and log-probabilities cannot be compared; sample both models with the same tokenizer`);
  }
  demonstrations.prompts.forEach((p, i) => {
    if (p.expert.length === 0 || p.baseline.length === 0) {
      throw new DemonstrationsError(`prompt ${i} has ${p.expert.length} expert and ${p.baseline.length} baseline continuations; every prompt needs at least one of each`);
    }
  });
}

/** The reward model's input ids for one continuation of a prompt. */
export function rewardInputIds(promptIds: readonly number[], continuation: Continuation, input: RewardInput): number[] {
  const ids = input === 'continuation' ? [...continuation.ids] : [...promptIds, ...continuation.ids];
  if (ids.length === 0) {
    throw new DemonstrationsError(`a continuation ("${continuation.text.slice(0, 40)}") has no tokens to score with reward input '${input}'; drop empty continuations or read the prompt too`);
  }
  return ids;
}

/** Rows and pairs of some prompts' demonstrations: the i-th expert text of a prompt pairs with its i-th baseline text. */
export function rewardRows(prompts: readonly PromptDemonstrations[], input: RewardInput): RewardRows {
  const out: RewardRows = { rows: [], fromExpert: [], groundTruth: [], pairs: [] };
  const add = (p: PromptDemonstrations, c: Continuation, expert: boolean): number => {
    out.rows.push(rewardInputIds(p.promptIds, c, input));
    out.fromExpert.push(expert);
    out.groundTruth.push(c.groundTruth ?? NaN);
    return out.rows.length - 1;
  };
  prompts.forEach((p, prompt) => {
    const expert = p.expert.map((c) => add(p, c, true));
    const baseline = p.baseline.map((c) => add(p, c, false));
    for (let i = 0; i < Math.min(expert.length, baseline.length); i++) out.pairs.push({ expert: expert[i]!, baseline: baseline[i]!, prompt });
  });
  return out;
}

export interface PromptSplit<T> {
  train: T[];
  validation: T[];
  test: T[];
}

/**
 * A seeded split by prompt, so that no prompt's texts are on two sides: `validation` and `test`
 * are fractions of the prompts (each side gets at least one prompt when its fraction is > 0).
 */
export function splitByPrompt<T>(prompts: readonly T[], fractions: { validation: number; test: number }, seed: number | string): PromptSplit<T> {
  const { validation, test } = fractions;
  if (!(validation >= 0 && test >= 0 && validation + test < 1)) {
    throw new DemonstrationsError(`validation (${validation}) and test (${test}) fractions must be ≥ 0 and sum to less than 1`);
  }
  const count = (fraction: number) => (fraction > 0 ? Math.max(1, Math.round(prompts.length * fraction)) : 0);
  const [nValidation, nTest] = [count(validation), count(test)];
  if (nValidation + nTest >= prompts.length) {
    throw new TooFewDemonstrationsError(`${prompts.length} prompts cannot be split into training, ${nValidation} validation and ${nTest} test prompts; demonstrate more prompts`);
  }
  const order = new Rng(seed).fork('prompt-split').shuffle(prompts.map((_, i) => i));
  const pick = (from: number, to: number) => order.slice(from, to).sort((a, b) => a - b).map((i) => prompts[i]!);
  return { validation: pick(0, nValidation), test: pick(nValidation, nValidation + nTest), train: pick(nValidation + nTest, prompts.length) };
}
