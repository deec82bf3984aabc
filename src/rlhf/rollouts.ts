/**
 * Rollouts: the policy continues prompts with the KV-cache generator, and irlens keeps the token
 * ids it sampled (trlx decodes and re-tokenises the text, which need not give the same ids back).
 * A batch of rollouts is laid out as prompts, left-padded, then responses, right-padded, for the
 * policy, the value head and the reference to read in one pass.
 */
import { defaultPositions } from '../models/causal-lm.js';
import { generate, type GenerationModel } from '../models/generation.js';
import type { Rng } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tokenizer } from '../text/index.js';
import type { GenerationSettings } from './config.js';
import type { SequenceBatch } from './hydra.js';

/** A prompt to continue, with the human continuation when the data has one (for shaped rewards). */
export interface PromptExample {
  prompt: string;
  reference?: string | null;
}

export interface Rollout {
  prompt: string;
  reference: string | null;
  /** The prompt's tokens as the policy saw them (after left truncation). */
  promptIds: number[];
  /** The sampled tokens, the eos included when the row emitted one. */
  responseIds: number[];
  /** The response decoded, special tokens skipped. */
  response: string;
  /** Whether the row ended by emitting eos (false: it ran to maxNewTokens). */
  ended: boolean;
}

export interface RolloutSettings extends GenerationSettings {
  maxPromptTokens: number;
}

/** Samples one continuation of each prompt; the same rng state gives the same rollouts. */
export function generateRollouts(
  policy: GenerationModel, tokenizer: Tokenizer, examples: readonly PromptExample[], settings: RolloutSettings, rng: Rng,
): Rollout[] {
  const prompts = examples.map((example) => example.prompt);
  const encoded = tokenizer.encodeBatch(prompts, { truncation: true, maxLength: settings.maxPromptTokens, truncationSide: 'left' });
  const { newTokens, finished } = generate(policy, encoded.ids, {
    maxNewTokens: settings.maxNewTokens,
    minNewTokens: settings.minNewTokens,
    doSample: true,
    topK: settings.topK,
    topP: settings.topP,
    temperature: settings.temperature,
    rng,
    ...(tokenizer.padTokenId === undefined ? {} : { padTokenId: tokenizer.padTokenId }),
  });
  return examples.map((example, i) => ({
    prompt: example.prompt,
    reference: example.reference ?? null,
    promptIds: encoded.ids[i]!,
    responseIds: newTokens[i]!,
    response: tokenizer.decode(newTokens[i]!, { skipSpecialTokens: true }),
    ended: finished[i]!,
  }));
}

/** Token ids of a prompt and its response. */
export interface TokenRow {
  promptIds: readonly number[];
  responseIds: readonly number[];
}

export interface LaidOutBatch {
  batch: SequenceBatch;
  /** [rows, responseLength] row-major: 1 over each row's response tokens, 0 over the padding after them. */
  responseMask: Float32Array;
  responseLength: number;
}

/**
 * Prompts left-padded to the longest, responses right-padded to the longest: every response
 * starts at the same column, so one slice of the hidden states holds all of them. Padding is
 * masked, and positions count real tokens only, so a row reads the same alone or in a batch.
 */
export function layOutBatch(rows: readonly TokenRow[], padTokenId: number): LaidOutBatch {
  const promptLength = Math.max(...rows.map((row) => row.promptIds.length));
  const responseLength = Math.max(...rows.map((row) => row.responseIds.length));
  const width = promptLength + responseLength;
  const ids = new Int32Array(rows.length * width).fill(padTokenId);
  const mask = new Float32Array(rows.length * width);
  const responseIds = new Int32Array(rows.length * responseLength).fill(padTokenId);
  const responseMask = new Float32Array(rows.length * responseLength);
  rows.forEach((row, b) => {
    const promptStart = b * width + promptLength - row.promptIds.length;
    ids.set(row.promptIds, promptStart);
    mask.fill(1, promptStart, b * width + promptLength);
    ids.set(row.responseIds, b * width + promptLength);
    mask.fill(1, b * width + promptLength, b * width + promptLength + row.responseIds.length);
    responseIds.set(row.responseIds, b * responseLength);
    responseMask.fill(1, b * responseLength, b * responseLength + row.responseIds.length);
  });
  const inputIds = T.idTensor(ids, [rows.length, width]);
  const attentionMask = T.tensor(mask, [rows.length, width]);
  return {
    batch: {
      inputIds,
      attentionMask,
      positionIds: defaultPositions(inputIds, attentionMask),
      responseIds: T.idTensor(responseIds, [rows.length, responseLength]),
      promptLength,
    },
    responseMask,
    responseLength,
  };
}

/** Copies each row's first `lengths[b]` values of a [rows, length] buffer into its own array. */
export function splitRows(values: Float32Array, length: number, lengths: readonly number[]): Float32Array[] {
  return lengths.map((n, b) => values.slice(b * length, b * length + n));
}

/** The inverse of splitRows: ragged rows into a zero-padded [rows, length] buffer. */
export function padRows(rows: readonly Float32Array[], length: number): Float32Array {
  const out = new Float32Array(rows.length * length);
  rows.forEach((row, b) => out.set(row, b * length));
  return out;
}
