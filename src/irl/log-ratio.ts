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

/** log π(continuation | prompt) of each item under the LM, summed over the continuation's tokens: [batch]. */
function continuationLogProbs(lm: CausalLM, batch: ReturnType<typeof alignedBatch>): Tensor {
  const { logits } = lm.forward(batch.inputs);
  return T.sum(T.mul(T.tokenLogProbs(logits, batch.targets), batch.continuationMask), 1);
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

/** log π(continuation | prompt) of each item, summed over its tokens, known some other way (a served model's answers). */
export type LogLikelihoodsOf = (items: readonly PromptContinuation[]) => number[];

export interface LogRatioOptions {
  /** The expert: a local LM, or its log-likelihoods from elsewhere (over the base model's tokenizer). */
  expert: CausalLM | LogLikelihoodsOf;
  base: CausalLM;
  /** The KL coefficient of the RLHF run (its rewards' scale); the ranking does not depend on it. */
  beta: number;
  /** Items per forward pass. Default 8. */
  batchSize?: number;
  /** Fills the padding (masked, so its value does not matter). Default 0. */
  padId?: number;
}

/** log π(continuation | prompt) of each item under the LM, summed over its tokens. Host reads: one per batch. */
export function continuationLogLikelihoods(lm: CausalLM, items: readonly PromptContinuation[], options: { batchSize?: number; padId?: number } = {}): number[] {
  const { batchSize = 8, padId = 0 } = options;
  checkItems(items, lm.config.vocabSize);
  const wasTraining = lm.training;
  lm.eval();
  const out: number[] = [];
  try {
    for (let start = 0; start < items.length; start += batchSize) {
      const sums = T.noGrad(() => T.tidy(() => continuationLogProbs(lm, alignedBatch(items.slice(start, start + batchSize), padId))));
      out.push(...sums.data);
      sums.dispose();
    }
  } finally {
    lm.train(wasTraining);
  }
  return out;
}

/** r(x, y) = β·(log π_expert(y|x) − log π_base(y|x)) of each prompt–continuation pair. */
export function logRatioReward(options: LogRatioOptions, items: readonly PromptContinuation[]): number[] {
  const { expert, base, beta } = options;
  if (typeof expert !== 'function' && expert.config.vocabSize !== base.config.vocabSize) {
    throw new TokenizerMismatchError(`the expert has a vocabulary of ${expert.config.vocabSize} tokens and the base model ${base.config.vocabSize}; the log-ratio needs two models over the same tokenizer`);
  }
  if (!(beta > 0 && beta < Infinity)) throw new IrlOptionsError(`beta must be a finite number > 0, got ${beta}`);
  const expertLogLikelihoods = typeof expert === 'function' ? expert(items) : continuationLogLikelihoods(expert, items, options);
  const baseLogLikelihoods = continuationLogLikelihoods(base, items, options);
  return expertLogLikelihoods.map((e, i) => beta * (e - baseLogLikelihoods[i]!));
}
