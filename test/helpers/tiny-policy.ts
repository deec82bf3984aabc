/**
 * A tiny causal LM with a byte-level tokenizer (no merges: one token per byte), for the RLHF tests:
 * small enough that PPO runs in seconds, real enough that prompts are encoded and responses decoded.
 */
import { trainByteLevelBpe, tokenizerJsonOf } from '../../src/text/bpe-trainer.js';
import { Tokenizer } from '../../src/text/index.js';
import { seededModel, tinyConfig } from './tiny-gpt.js';

export const BYTE_VOCAB = 258;

export function byteTokenizer(): Tokenizer {
  const bpe = trainByteLevelBpe(['a'], { vocabSize: BYTE_VOCAB });
  return Tokenizer.fromJson(tokenizerJsonOf(bpe), { eos_token: '<|endoftext|>', pad_token: '<|padding|>' });
}

/** A seeded GPT-NeoX over the byte vocabulary; eos is token 0, as the tokenizer's. */
export function tinyPolicy(seed: number, overrides: Record<string, unknown> = {}) {
  return seededModel(tinyConfig({ vocab_size: BYTE_VOCAB, hidden_size: 32, num_hidden_layers: 3, eos_token_id: 0, max_position_embeddings: 128, ...overrides }), seed);
}
