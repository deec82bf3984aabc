/**
 * The policy, its value head and the frozen reference, arranged as trlx's hydra
 * (AutoModelForCausalLMWithHydraValueHead). With k layers unfrozen (trlx's num_layers_unfrozen),
 * the token embedding and the bottom n − k layers are frozen: they run once per batch, without
 * gradients, and their output feeds both the policy's trainable top (its own top k layers, final
 * norm and head, plus the value head) and the reference's frozen copy of that top. Only the top k
 * layers exist twice. With k = −1 the whole policy trains and the reference is a full frozen copy.
 */
import type { DecoderLayer, DecoderTop, DecoderTopParts, DecomposableCausalLM, Embedder } from '../models/decoder.js';
import { runLayers } from '../models/decoder.js';
import type { GenerationModel } from '../models/generation.js';
import { Module } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { RlhfConfigError } from './errors.js';
import type { ValueHead } from './value-head.js';

/** Prompts (left-padded) followed by responses (right-padded), as one batch. */
export interface SequenceBatch {
  /** int32 [batch, t] */
  inputIds: Tensor;
  /** [batch, t]: 1 for real tokens, 0 for padding. */
  attentionMask: Tensor;
  /** int32 [batch, t], counted over the real tokens. */
  positionIds: Tensor;
  /** int32 [batch, t − promptLength]: the response tokens (padding after a row's end). */
  responseIds: Tensor;
  /** Columns of prompt; the response starts here, so its logits come from promptLength − 1 .. t − 2. */
  promptLength: number;
}

export interface PolicyOutputs {
  /** log π(response token | context), [batch, r]. */
  logprobs: Tensor;
  /** The value head at the position before each response token, [batch, r]. */
  values: Tensor;
  /** Entropy of the policy at those positions, [batch, r] (no gradient); only when asked. */
  entropy?: Tensor;
}

/** A causal LM PPO can train: it generates, and opens into parts for the hydra. */
export type PolicyModel = DecomposableCausalLM & GenerationModel;

/** The parameters PPO trains and checkpoints: the policy under `policy.`, the value head under `v_head.`. */
export class PolicyWithValueHead extends Module {
  constructor(readonly policy: PolicyModel, readonly valueHead: ValueHead) {
    super();
    this.addModule('policy', policy);
    this.addModule('v_head', valueHead);
  }
}

export class HydraPolicy {
  readonly trainable: PolicyWithValueHead;
  /** Layers that train (all n for k = −1). */
  readonly unfrozenLayers: number;
  private readonly embedding: Embedder;
  private readonly trunkLayers: readonly DecoderLayer[];
  private readonly policyTop: DecoderTopParts;
  private readonly referenceTop: DecoderTop;
  /** The reference's own embedding, only when the policy's embedding trains (k = −1). */
  private readonly referenceEmbedding: Embedder | null;

  constructor(policy: PolicyModel, valueHead: ValueHead, numLayersUnfrozen: number) {
    const n = policy.config.numHiddenLayers;
    if (!Number.isSafeInteger(numLayersUnfrozen) || numLayersUnfrozen < -1 || numLayersUnfrozen > n) {
      throw new RlhfConfigError(`num_layers_unfrozen must be −1 (train everything) or 0..${n} (the model has ${n} layers), got ${numLayersUnfrozen}`);
    }
    const trainsEverything = numLayersUnfrozen === -1;
    this.unfrozenLayers = trainsEverything ? n : numLayersUnfrozen;
    const parts = policy.parts();
    this.embedding = parts.embedding;
    this.trunkLayers = parts.layers.slice(0, n - this.unfrozenLayers);
    this.policyTop = { layers: parts.layers.slice(n - this.unfrozenLayers), finalNorm: parts.finalNorm, lmHead: parts.lmHead };
    // The reference is copied before anything trains, so it stays the starting policy.
    this.referenceTop = policy.copyTop(this.unfrozenLayers).freeze();
    this.referenceEmbedding = trainsEverything ? policy.copyEmbedding().freeze() : null;
    if (!trainsEverything) {
      policy.freeze();
      for (const module of [...this.policyTop.layers, parts.finalNorm, parts.lmHead]) module.unfreeze();
      // A head tied to the embedding stays frozen with it, as in trlx: the trunk must not move under the reference.
      parts.embedding.freeze();
    }
    this.trainable = new PolicyWithValueHead(policy, valueHead);
  }

  /** Values in the reference copy: the top layers, final norm and head (and the embedding for k = −1), nothing more. */
  get referenceParameterCount(): number {
    return this.referenceTop.parameterCount() + (this.referenceEmbedding?.parameterCount() ?? 0);
  }

  get policy(): PolicyModel {
    return this.trainable.policy;
  }

  /**
   * The frozen bottom's output at the branch point, computed once without gradients for the
   * policy and the reference to share; null when the embedding trains (k = −1).
   */
  trunk(batch: SequenceBatch): Tensor | null {
    if (this.referenceEmbedding) return null;
    return T.noGrad(() => runLayers(this.trunkLayers, this.embedding.forward(batch.inputIds), batch.positionIds, batch.attentionMask));
  }

  /** The policy's log-probabilities and values over the responses (with gradients when enabled). */
  policyOutputs(batch: SequenceBatch, trunk: Tensor | null, options: { entropy?: boolean } = {}): PolicyOutputs {
    const hidden = responseHidden(this.policyTop, trunk ?? this.embedding.forward(batch.inputIds), batch);
    const logits = this.policyTop.lmHead.forward(hidden);
    return {
      logprobs: T.tokenLogProbs(logits, batch.responseIds),
      values: this.trainable.valueHead.forward(hidden),
      ...(options.entropy ? { entropy: T.noGrad(() => T.entropy(logits)) } : {}),
    };
  }

  /** The frozen reference's log-probabilities over the responses. */
  referenceLogprobs(batch: SequenceBatch, trunk: Tensor | null): Tensor {
    return T.noGrad(() => {
      const input = trunk ?? this.referenceEmbedding!.forward(batch.inputIds);
      const hidden = responseHidden(this.referenceTop, input, batch);
      return T.tokenLogProbs(this.referenceTop.lmHead.forward(hidden), batch.responseIds);
    });
  }

  /** Releases the reference copy (the policy and value head belong to the caller). */
  dispose(): void {
    this.referenceTop.dispose();
    this.referenceEmbedding?.dispose();
  }
}

/**
 * The top's final hidden states at the positions whose next token is a response token. The
 * final norm acts per position, so it runs on those positions alone, as the head does.
 */
function responseHidden(top: DecoderTopParts, input: Tensor, batch: SequenceBatch): Tensor {
  const hidden = runLayers(top.layers, input, batch.positionIds, batch.attentionMask);
  const t = hidden.shape[1]!;
  return top.finalNorm.forward(T.slice(hidden, 1, batch.promptLength - 1, t - 1));
}
