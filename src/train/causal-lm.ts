/**
 * Supervised training of a causal language model on text: pretraining from scratch or fine-tuning
 * a loaded checkpoint (`irlens sft`, and how the demo makes its base model). Texts are tokenised,
 * packed into blocks of blockSize tokens with eos after each text, and the model learns to predict
 * every next token. A share of the texts is held out to measure the loss on text it has not seen.
 */
import type { Module } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { Tokenizer } from '../text/index.js';
import { blockBatch, fingerprint, packDocuments, splitHeldOut, type PackedBlocks } from './data.js';
import { TrainDataError, TrainOptionsError } from './errors.js';
import { baseRng, runTraining, type TrainResult, type TrainingOptions, type TrainingTask } from './loop.js';

/** Any causal LM: GPTNeoXForCausalLM, LlamaForCausalLM, ... */
export type CausalLanguageModel = Module & {
  forward(inputs: { inputIds: Tensor; attentionMask?: Tensor }): { logits: Tensor };
  config?: { vocabSize?: number; maxPositionEmbeddings?: number };
};

export interface TrainCausalLMOptions extends TrainingOptions {
  model: CausalLanguageModel;
  /** Tokenises texts (special tokens are not added) and gives the eos id. */
  tokenizer?: Tokenizer;
  /** Training texts; or pass documents, already tokenised. */
  texts?: readonly string[];
  documents?: readonly (readonly number[])[];
  /** Held-out texts or documents; without them evalFraction of the training ones are held out. */
  evalTexts?: readonly string[];
  evalDocuments?: readonly (readonly number[])[];
  /** Share of the texts to hold out when no held-out set is given. Default 0.1; 0: no evaluation. */
  evalFraction?: number;
  /** Token put after each text; default the tokenizer's eos. */
  eosTokenId?: number;
  /** Tokens the model sees per example. */
  blockSize: number;
}

function documentsOf(what: string, options: TrainCausalLMOptions, texts: readonly string[] | undefined, documents: readonly (readonly number[])[] | undefined): number[][] | undefined {
  if (texts && documents) throw new TrainOptionsError(`pass ${what} either as texts or as documents (token ids), not both`);
  if (documents) return documents.map((d) => [...d]);
  if (!texts) return undefined;
  const tokenizer = options.tokenizer;
  if (!tokenizer) throw new TrainOptionsError(`${what} are given as text, so a tokenizer is needed; pass tokenizer, or pass token ids as documents`);
  return texts.map((text) => tokenizer.encode(text, { addSpecialTokens: false }));
}

function checkIds(packed: PackedBlocks, vocabSize: number | undefined, what: string): void {
  if (vocabSize === undefined) return;
  let max = -1;
  let min = 0;
  for (const id of packed.stream) {
    if (id > max) max = id;
    if (id < min) min = id;
  }
  if (min < 0 || max >= vocabSize) {
    throw new TrainDataError(`the ${what} hold token id ${min < 0 ? min : max}, outside the model's vocabulary (0 .. ${vocabSize - 1}); use the tokenizer the model was made for, or a model with a larger vocab_size`);
  }
}

/** Packs the data and states the loss: next-token cross-entropy over every position of every block. */
function causalLMTask(options: TrainCausalLMOptions): TrainingTask {
  const { model, blockSize } = options;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new TrainOptionsError(`blockSize must be a positive integer, got ${blockSize}`);
  const maxPositions = model.config?.maxPositionEmbeddings;
  if (maxPositions !== undefined && blockSize > maxPositions) {
    throw new TrainOptionsError(`blockSize ${blockSize} is longer than the model's ${maxPositions} positions (max_position_embeddings); use blockSize ≤ ${maxPositions}`);
  }
  const documents = documentsOf('the training texts', options, options.texts, options.documents);
  if (!documents || documents.length === 0) throw new TrainDataError('there are no training texts; pass texts (or documents) with at least one entry');
  const eos = options.eosTokenId ?? options.tokenizer?.eosTokenId;
  if (eos === undefined) throw new TrainOptionsError('no eos token to put between texts: pass eosTokenId, or a tokenizer that has an eos token');
  const given = documentsOf('the held-out texts', options, options.evalTexts, options.evalDocuments);
  const split = given ? { train: documents, heldOut: given } : splitHeldOut(documents, options.evalFraction ?? 0.1, baseRng(options).fork('held-out'));

  const train = packDocuments(split.train, eos, blockSize);
  const heldOut = packDocuments(split.heldOut, eos, blockSize);
  if (train.count === 0) {
    throw new TrainDataError(`the training texts make ${train.stream.length} tokens, too few for one block of ${blockSize} (+1) tokens; pass more text or a smaller blockSize`);
  }
  if (split.heldOut.length > 0 && heldOut.count === 0) {
    throw new TrainDataError(`the held-out texts make ${heldOut.stream.length} tokens, too few for one block of ${blockSize} (+1) tokens; raise evalFraction, pass evalTexts, use a smaller blockSize, or set evalFraction to 0`);
  }
  checkIds(train, model.config?.vocabSize, 'training texts');
  checkIds(heldOut, model.config?.vocabSize, 'held-out texts');

  const loss = (packed: PackedBlocks, indices: readonly number[]): Tensor => {
    const { inputs, targets } = blockBatch(packed, indices);
    const shape = [indices.length, blockSize];
    const { logits } = model.forward({ inputIds: T.idTensor(inputs, shape) });
    return T.crossEntropy(logits, T.idTensor(targets, shape));
  };
  const evaluate = () => {
    let total = 0;
    for (let start = 0; start < heldOut.count; start += options.batchSize) {
      const indices = Array.from({ length: Math.min(options.batchSize, heldOut.count - start) }, (_, i) => start + i);
      total += T.tidy(() => loss(heldOut, indices).item()) * indices.length;
    }
    return { loss: total / heldOut.count };
  };
  return {
    kind: 'causal-lm',
    trainSize: train.count,
    evalSize: heldOut.count,
    batchLoss: (indices) => ({ loss: loss(train, indices), tokens: indices.length * blockSize }),
    evaluate: heldOut.count > 0 ? evaluate : null,
    settings: { blockSize, eosTokenId: eos, data: fingerprint([train.stream], [heldOut.stream]) },
  };
}

/**
 * Trains a causal LM on texts and returns the final metrics. The model is trained in place;
 * saving it as a Hugging Face folder (saveModel) is the caller's job.
 */
export function trainCausalLM(options: TrainCausalLMOptions): TrainResult {
  return runTraining(options.model, causalLMTask(options), options);
}
