/**
 * The reward model IRL trains: a causal LM's backbone (GPT-NeoX or Llama) with transformers'
 * sequence-classification `score` head (one output), read through a pooling of the text's
 * hidden states. The classifier is transformers' own class, so the model saves as a folder that
 * transformers and TRL load; for poolings other than 'last' the pooling is recorded beside it.
 *
 * Poolings, over a text's real tokens (the attention mask):
 *   'last'       score(h at the last token): the paper's and transformers' convention;
 *   'mean'       score(mean of h);
 *   'token-mean' mean of score(h) per token — the same function as 'mean', since the score head
 *                is linear without bias, kept so that runs name what they compute;
 *   'token-min'  minimum of score(h) per token: a text is as good as its worst token;
 *   'token-sum'  sum of score(h) per token: the form of the log-ratio reward, Σ_t log π_e/π_b of
 *                each token, so a distilled log-ratio can be matched term by term. With the
 *                prompt read too, the prompt's tokens add a term of the prompt alone (causal
 *                attention: they never see the continuation), which pair comparisons ignore.
 */
import type { GPTNeoXForCausalLM } from '../models/gpt-neox.js';
import type { LlamaForCausalLM } from '../models/llama.js';
import { GPTNeoXForSequenceClassification, LlamaForSequenceClassification, lastTokenIndices } from '../models/sequence-classification.js';
import type { Linear, Module, Rng } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { DemonstrationsError, IrlOptionsError } from './errors.js';

export const POOLINGS = ['last', 'mean', 'token-mean', 'token-min', 'token-sum'] as const;
export type Pooling = (typeof POOLINGS)[number];

export type SequenceRewardClassifier = GPTNeoXForSequenceClassification | LlamaForSequenceClassification;

/** Which parameters train: the whole model, the top `layers` layers (with the final norm) and the head, or the head on cached features. */
export type TrainingMode = { kind: 'full' } | { kind: 'top'; layers: number } | { kind: 'probe' };

/** Right-padded ids with their attention mask, and each row's real length. */
export interface TokenBatch {
  inputIds: Tensor;
  attentionMask: Tensor;
  lengths: number[];
}

/** Rows of ids padded on the right to the longest, with padId. */
export function padRows(rows: readonly (readonly number[])[], padId: number): TokenBatch {
  const longest = Math.max(...rows.map((row) => row.length));
  const ids = new Int32Array(rows.length * longest).fill(padId);
  const mask = new Int32Array(rows.length * longest);
  rows.forEach((row, r) => {
    if (row.length === 0) throw new DemonstrationsError(`row ${r} of a batch has no tokens; drop empty texts before scoring`);
    ids.set(row, r * longest);
    mask.fill(1, r * longest, r * longest + row.length);
  });
  const shape = [rows.length, longest];
  return { inputIds: T.idTensor(ids, shape), attentionMask: T.idTensor(mask, shape), lengths: rows.map((row) => row.length) };
}

/** Whether the pooling scores every token (the head reads [batch, t, hidden]). */
export const isTokenPooling = (pooling: Pooling): boolean => pooling === 'token-mean' || pooling === 'token-min' || pooling === 'token-sum';

/** Each text's token count, [batch] or [batch, 1], on the batch's backend. */
const lengthsOf = (batch: TokenBatch, shape: readonly number[]): Tensor =>
  T.tensor(Float32Array.from(batch.lengths), shape, false, batch.attentionMask.backend);

/**
 * What the head reads under a pooling, from hidden states [batch, t, hidden]: one vector per text,
 * [batch, hidden], for 'last' and 'mean'; every token's state, [batch, t, hidden], for the token poolings.
 */
export function poolFeatures(hidden: Tensor, batch: TokenBatch, pooling: Pooling): Tensor {
  const [rows, t, size] = hidden.shape as [number, number, number];
  if (isTokenPooling(pooling)) return hidden;
  if (pooling === 'last') {
    const last = lastTokenIndices('reward model', batch.inputIds, batch.attentionMask);
    return T.indexSelect(T.reshape(hidden, [rows * t, size]), 0, last.map((i, b) => b * t + i));
  }
  const summed = T.sum(T.mul(hidden, T.reshape(T.asFloat32(batch.attentionMask), [rows, t, 1])), 1);
  return T.div(summed, lengthsOf(batch, [rows, 1]));
}

/** score(h_t) of every position, [batch, t], from a token pooling's features [batch, t, hidden]; padding positions too (mask them). */
export function scoreTokens(features: Tensor, head: Linear): Tensor {
  const [rows, t] = features.shape as [number, number, number];
  return T.reshape(head.forward(features), [rows, t]);
}

/** A token pooling, or an error saying what `purpose` needs and, after "use a token pooling", what else would do. */
export function checkTokenPooling(pooling: Pooling, purpose: string, otherwise = ''): void {
  if (!isTokenPooling(pooling)) throw new IrlOptionsError(`${purpose} needs a score per token, which only the token poolings (token-sum, token-mean, token-min) give; pooling '${pooling}' scores a whole text: use a token pooling${otherwise}`);
}

/** One reward per text, [batch], from poolFeatures' output and the score head. */
export function scoreFeatures(features: Tensor, batch: TokenBatch, pooling: Pooling, head: Linear): Tensor {
  const rows = batch.lengths.length;
  if (!isTokenPooling(pooling)) return T.reshape(head.forward(features), [rows]);
  const perToken = scoreTokens(features, head);
  const mask = T.asFloat32(batch.attentionMask);
  if (pooling === 'token-sum') return T.sum(T.mul(perToken, mask), 1);
  if (pooling === 'token-mean') return T.div(T.sum(T.mul(perToken, mask), 1), lengthsOf(batch, [rows]));
  // The minimum over real tokens: padding is filled with +∞ so that it never wins.
  const padding = T.sub(1, mask);
  return T.neg(T.max(T.neg(T.maskedFill(perToken, padding, Infinity)), 1));
}

/** Rows per batch when scoring (scoreRows) and when caching features (FeatureCache.build): one size, so that both pad alike. */
export const SCORE_BATCH_SIZE = 16;

/** The indices 0 … count − 1 in order, batchSize at a time (the last batch may be shorter). */
export function consecutiveBatches(count: number, batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let start = 0; start < count; start += batchSize) {
    batches.push(Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i));
  }
  return batches;
}

/**
 * The indices of rows shortest first (ties in order), batchSize at a time: rows of like length
 * share a batch, so little padding is computed. A row's reward does not depend on its batch's
 * padding; in the demo this scored the minimal pairs 2.4 times as fast as batches in row order.
 */
export function lengthSortedBatches(rows: readonly (readonly number[])[], batchSize: number): number[][] {
  const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.length - rows[b]!.length || a - b);
  return consecutiveBatches(order.length, batchSize).map((batch) => batch.map((k) => order[k]!));
}

/** Rewards of rows, each in its row's place, batched by lengthSortedBatches, without gradients; host reads once per batch. */
export function scoreInBatches(rows: readonly (readonly number[])[], batchSize: number, scores: (indices: number[]) => Tensor): number[] {
  const out = new Array<number>(rows.length);
  for (const indices of lengthSortedBatches(rows, batchSize)) {
    const batch = T.noGrad(() => T.tidy(() => scores(indices)));
    const values = batch.data;
    indices.forEach((row, k) => (out[row] = values[k]!));
    batch.dispose();
  }
  return out;
}

export class RewardModel {
  constructor(
    readonly classifier: SequenceRewardClassifier,
    readonly pooling: Pooling,
  ) {
    if (!POOLINGS.includes(pooling)) throw new IrlOptionsError(`unknown pooling ${JSON.stringify(pooling)}; use one of ${POOLINGS.join(', ')}`);
    if (classifier.config.numLabels !== 1) {
      throw new IrlOptionsError(`a reward model has one output, but this classifier has ${classifier.config.numLabels}; build it with numLabels 1`);
    }
  }

  /** A reward model whose backbone is a copy of the LM's; the head is drawn from rng (Normal(0, initializer_range)); padTokenId defaults to the LM's. */
  static fromCausalLM(lm: GPTNeoXForCausalLM | LlamaForCausalLM, options: { pooling: Pooling; rng: Rng; padTokenId?: number | null }): RewardModel {
    // transformers needs pad_token_id in config.json to find the last token of padded rows.
    const head = { numLabels: 1, rng: options.rng, padTokenId: options.padTokenId };
    const classifier = 'gptNeox' in lm ? GPTNeoXForSequenceClassification.fromCausalLM(lm, head) : LlamaForSequenceClassification.fromCausalLM(lm, head);
    return new RewardModel(classifier, options.pooling);
  }

  get head(): Linear {
    return this.classifier.score;
  }

  /** The transformer body (transformers' GPTNeoXModel / LlamaModel). */
  get body(): Module & { forward(inputs: { inputIds: Tensor; attentionMask?: Tensor }): Tensor; readonly layers: Iterable<Module> } {
    return 'gptNeox' in this.classifier ? this.classifier.gptNeox : this.classifier.model;
  }

  get padId(): number {
    const { padTokenId, eosTokenId } = this.classifier.config;
    return padTokenId ?? (Array.isArray(eosTokenId) ? eosTokenId[0] : eosTokenId) ?? 0;
  }

  /** poolFeatures of the body's hidden states for a batch. */
  features(batch: TokenBatch): Tensor {
    return poolFeatures(this.body.forward({ inputIds: batch.inputIds, attentionMask: batch.attentionMask }), batch, this.pooling);
  }

  /** Rewards [batch] of a padded batch, with gradients where parameters require them. */
  scores(batch: TokenBatch): Tensor {
    return scoreFeatures(this.features(batch), batch, this.pooling, this.head);
  }

  /** For the token poolings: score(h_t) of every position of a padded batch, [batch, t], with gradients where parameters require them. */
  tokenScores(batch: TokenBatch): Tensor {
    checkTokenPooling(this.pooling, 'scoring each token');
    return scoreTokens(this.features(batch), this.head);
  }

  /** Rewards of rows of ids, without gradients, in eval mode; host reads once per batch. */
  scoreRows(rows: readonly (readonly number[])[], batchSize = SCORE_BATCH_SIZE): number[] {
    const wasTraining = this.classifier.training;
    this.classifier.eval();
    try {
      return scoreInBatches(rows, batchSize, (indices) => this.scores(padRows(indices.map((i) => rows[i]!), this.padId)));
    } finally {
      this.classifier.train(wasTraining);
    }
  }

  /** Freezes what the mode does not train; the score head always trains. */
  setTrainingMode(mode: TrainingMode): void {
    const layers = [...this.body.layers];
    const top = mode.kind === 'full' ? layers.length : mode.kind === 'top' ? mode.layers : 0;
    if (!(Number.isSafeInteger(top) && top >= 0 && top <= layers.length)) {
      throw new IrlOptionsError(`top layers must be an integer from 0 to ${layers.length} (the model's layer count), got ${top}`);
    }
    this.classifier.freeze();
    this.head.unfreeze();
    if (mode.kind === 'full') this.classifier.unfreeze();
    else if (top > 0) {
      for (const layer of layers.slice(layers.length - top)) layer.unfreeze();
      this.finalNorm.unfreeze();
    }
  }

  private get finalNorm(): Module {
    return 'gptNeox' in this.classifier ? this.classifier.gptNeox.finalLayerNorm : this.classifier.model.norm;
  }
}

/** Rewards of the rows at some indices of a fixed list of texts: what the training loops read. */
export interface RowScorer {
  scores(indices: readonly number[]): Tensor;
  /** For the token poolings: score(h_t) of every position of the rows, [batch, t], and their batch (its attention mask marks the real tokens). */
  tokenScores(indices: readonly number[]): { scores: Tensor; batch: TokenBatch };
}

/** Scores rows by running the reward model on them (the backbone runs every time). */
export function liveScorer(model: RewardModel, rows: readonly (readonly number[])[]): RowScorer {
  const batchOf = (indices: readonly number[]) => padRows(indices.map((i) => rows[i]!), model.padId);
  return {
    scores: (indices) => model.scores(batchOf(indices)),
    tokenScores: (indices) => {
      const batch = batchOf(indices);
      return { scores: model.tokenScores(batch), batch };
    },
  };
}
