/**
 * The reward that KL-regularised RLHF optimises in closed form: the optimal policy is
 * π*(y|x) ∝ π_base(y|x)·exp(r(x, y)/β), so r(x, y) = β·(log π_expert(y|x) − log π_base(y|x)) up to a
 * term that depends on the prompt alone. Read off the two models' token log-probabilities of each
 * continuation, summed over its tokens; nothing is trained.
 */
import type { CausalLMInputs, CausalLMOutputs } from '../models/causal-lm.js';
import type { Module } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { DemonstrationsError, IrlOptionsError, TokenizerMismatchError } from './errors.js';

/** Any causal LM irlens runs (GPT-NeoX, Llama). */
export type CausalLM = Module & {
  forward(inputs: CausalLMInputs): CausalLMOutputs;
  readonly config: { readonly vocabSize: number };
};

/** A prompt and one continuation of it, as token ids. */
export interface PromptContinuation {
  promptIds: readonly number[];
  continuationIds: readonly number[];
}

/**
 * Prompts left-padded and continuations right-padded, so every row's continuation starts at the
 * same column: [pad… prompt | continuation …pad]. Logits at columns promptWidth−1 … end−2 predict it.
 */
function alignedBatch(items: readonly PromptContinuation[], padId: number) {
  const promptWidth = Math.max(...items.map((item) => item.promptIds.length));
  const width = Math.max(...items.map((item) => item.continuationIds.length));
  const columns = promptWidth + width;
  const ids = new Int32Array(items.length * columns).fill(padId);
  const mask = new Int32Array(items.length * columns);
  const targets = new Int32Array(items.length * width);
  const continuationMask = new Float32Array(items.length * width);
  items.forEach((item, r) => {
    const start = r * columns + promptWidth - item.promptIds.length;
    ids.set([...item.promptIds, ...item.continuationIds], start);
    mask.fill(1, start, start + item.promptIds.length + item.continuationIds.length);
    targets.set(item.continuationIds, r * width);
    continuationMask.fill(1, r * width, r * width + item.continuationIds.length);
  });
  return {
    inputs: { inputIds: T.idTensor(ids, [items.length, columns]), attentionMask: T.idTensor(mask, [items.length, columns]), logitsFor: { start: promptWidth - 1, end: columns - 1 } },
    targets: T.idTensor(targets, [items.length, width]),
    continuationMask: T.tensor(continuationMask, [items.length, width]),
  };
}

/** log π(token | what precedes it) of each continuation token, 0 at padding: [batch, width]. */
function continuationTokenLogProbs(lm: CausalLM, batch: ReturnType<typeof alignedBatch>): Tensor {
  const { logits } = lm.forward(batch.inputs);
  return T.mul(T.tokenLogProbs(logits, batch.targets), batch.continuationMask);
}

function checkItems(items: readonly PromptContinuation[], vocabSize: number): void {
  items.forEach((item, i) => {
    if (item.promptIds.length === 0) throw new DemonstrationsError(`item ${i} has an empty prompt, so its first token has nothing to be predicted from; start prompts with the BOS token`);
    if (item.continuationIds.length === 0) throw new DemonstrationsError(`item ${i} has an empty continuation; its log-ratio would be 0 by definition, drop it`);
    for (const id of [...item.promptIds, ...item.continuationIds]) {
      if (!(Number.isSafeInteger(id) && id >= 0 && id < vocabSize)) throw new DemonstrationsError(`item ${i} holds token id ${id}, outside the vocabulary (0..${vocabSize - 1})`);
    }
  });
}

/** log π of each continuation token of each item, known some other way (a served model's answers). */
export type TokenLogProbsOf = (items: readonly PromptContinuation[]) => number[][];

/**
 * How a text's per-token log-ratios become its reward. 'sum' is the closed form (the log-ratio of
 * the whole continuation). 'min' keeps the token the expert avoids most: a heuristic for rewards
 * whose signal is local (one toxic word), robust to the drift an imperfect PPO spreads over every
 * other token, but no longer β·log π_expert/π_base of the text.
 */
export type LogRatioAggregate = 'sum' | 'min';

export interface LogRatioOptions {
  /** The expert: a local LM, or its token log-probabilities from elsewhere (over the base model's tokenizer). */
  expert: CausalLM | TokenLogProbsOf;
  base: CausalLM;
  /** The base model's token log-probabilities when known already (several experts read against one base). */
  baseTokens?: TokenLogProbsOf;
  /** The KL coefficient of the RLHF run (its rewards' scale); the ranking does not depend on it. */
  beta: number;
  /** Default 'sum', the closed form. */
  aggregate?: LogRatioAggregate;
  /** Items per forward pass. Default 8. */
  batchSize?: number;
  /** Fills the padding (masked, so its value does not matter). Default 0. */
  padId?: number;
}

/** log π(token | prompt, earlier tokens) of each continuation token of each item under the LM. Host reads: one per batch. */
export function tokenLogProbs(lm: CausalLM, items: readonly PromptContinuation[], options: { batchSize?: number; padId?: number } = {}): number[][] {
  const { batchSize = 8, padId = 0 } = options;
  checkItems(items, lm.config.vocabSize);
  const wasTraining = lm.training;
  lm.eval();
  const out: number[][] = [];
  try {
    for (let start = 0; start < items.length; start += batchSize) {
      const chunk = items.slice(start, start + batchSize);
      const values = T.noGrad(() => T.tidy(() => continuationTokenLogProbs(lm, alignedBatch(chunk, padId))));
      const width = values.shape[1]!;
      const data = values.data;
      out.push(...chunk.map((item, r) => Array.from(data.subarray(r * width, r * width + item.continuationIds.length))));
      values.dispose();
    }
  } finally {
    lm.train(wasTraining);
  }
  return out;
}

/** log π(continuation | prompt) of each item under the LM, summed over its tokens. */
export function continuationLogLikelihoods(lm: CausalLM, items: readonly PromptContinuation[], options: { batchSize?: number; padId?: number } = {}): number[] {
  return tokenLogProbs(lm, items, options).map(sum);
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/**
 * log π_expert(y_t|x, y_<t) − log π_base(y_t|x, y_<t) of each continuation token of each item,
 * unscaled: what both the per-token and the per-text log-ratio are made of (scaleLogRatios,
 * aggregateLogRatios), so a caller that needs both reads the two models once.
 */
export function logRatioTerms(options: LogRatioOptions, items: readonly PromptContinuation[]): number[][] {
  const { expert, base, beta } = options;
  if (typeof expert !== 'function' && expert.config.vocabSize !== base.config.vocabSize) {
    throw new TokenizerMismatchError(`the expert has a vocabulary of ${expert.config.vocabSize} tokens and the base model ${base.config.vocabSize}; the log-ratio needs two models over the same tokenizer`);
  }
  if (!(beta > 0 && beta < Infinity)) throw new IrlOptionsError(`beta must be a finite number > 0, got ${beta}`);
  const expertTokens = typeof expert === 'function' ? expert(items) : tokenLogProbs(expert, items, options);
  const baseTokens = options.baseTokens ? options.baseTokens(items) : tokenLogProbs(base, items, options);
  return expertTokens.map((e, i) => e.map((lp, t) => lp - baseTokens[i]![t]!));
}

/**
 * r_t = β·(log π_expert(y_t|x, y_<t) − log π_base(y_t|x, y_<t)) of each continuation token of each
 * item: the terms the closed-form reward sums, and what dense distillation fits token by token.
 */
export function tokenLogRatios(options: LogRatioOptions, items: readonly PromptContinuation[]): number[][] {
  return scaleLogRatios(logRatioTerms(options, items), options.beta);
}

/** β·r_t of each item's logRatioTerms. */
export const scaleLogRatios = (terms: readonly (readonly number[])[], beta: number): number[][] => terms.map((ratios) => ratios.map((r) => beta * r));

/** β times the sum (the closed form) or the minimum of each item's logRatioTerms. */
export function aggregateLogRatios(terms: readonly (readonly number[])[], beta: number, aggregate: LogRatioAggregate = 'sum'): number[] {
  // β times the aggregate (not the sum of β·r_t), so that rewards stay what they were bit for bit.
  return terms.map((ratios) => beta * (aggregate === 'sum' ? sum(ratios) : Math.min(...ratios)));
}

/** r(x, y) = β·(log π_expert(y|x) − log π_base(y|x)) of each prompt–continuation pair, or β times its most negative token term ('min'). */
export function logRatioReward(options: LogRatioOptions, items: readonly PromptContinuation[]): number[] {
  return aggregateLogRatios(logRatioTerms(options, items), options.beta, options.aggregate);
}
