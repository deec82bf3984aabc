/**
 * A causal LM opened into its parts, bottom to top — token embedding, decoder layers, final norm,
 * language-model head — so that RLHF can run a frozen bottom once and branch the top (trlx's
 * "hydra": the policy's trainable top and a frozen copy of it share one run of the bottom).
 */
import { Module, ModuleList } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { KVCache } from './kv-cache.js';

/** One decoder layer, as every causal LM's layers take it. */
export interface DecoderLayer extends Module {
  forward(x: Tensor, positionIds: Tensor, keyMask: Tensor | null, cache?: { kv: KVCache; layer: number }): Tensor;
}

/** A module with a plain forward (a norm, a head). */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

/** What runs above a branch point: layers, then the final norm, then the head. */
export interface DecoderTopParts {
  readonly layers: readonly DecoderLayer[];
  readonly finalNorm: Layer;
  readonly lmHead: Layer;
}

/** A causal LM's parts, the model's own modules (not copies). */
export interface DecoderParts extends DecoderTopParts {
  /** The token embedding (with tied embeddings, its weight is also the head's). */
  readonly embedding: Embedder;
}

/** Causal LMs that can be opened into parts and have their top copied. */
export interface DecomposableCausalLM extends Module {
  readonly config: { readonly numHiddenLayers: number; readonly hiddenSize: number; readonly maxPositionEmbeddings: number };
  parts(): DecoderParts;
  /** New modules holding copies of the top `count` layers, the final norm and the head. */
  copyTop(count: number): DecoderTop;
  /** A new module holding a copy of the token embedding. */
  copyEmbedding(): Embedder;
}

/** A token embedding: int32 ids [batch, t] → [batch, t, hidden]. */
export interface Embedder extends Module {
  forward(inputIds: Tensor): Tensor;
}

/** The top of a decoder as modules of its own (the frozen reference branch of RLHF). */
export class DecoderTop extends Module implements DecoderTopParts {
  private readonly layerList: ModuleList<DecoderLayer>;
  readonly finalNorm: Layer;
  readonly lmHead: Layer;

  constructor(layers: DecoderLayer[], finalNorm: Layer, lmHead: Layer) {
    super();
    this.layerList = this.addModule('layers', new ModuleList(layers));
    this.finalNorm = this.addModule('final_norm', finalNorm);
    this.lmHead = this.addModule('lm_head', lmHead);
  }

  get layers(): readonly DecoderLayer[] {
    return [...this.layerList];
  }
}

/** `fresh` with `original`'s parameter values (same structure, new tensors). */
export function copyOf<M extends Module>(original: Module, fresh: M): M {
  fresh.loadStateDict(original.stateDict());
  return fresh;
}

/** Runs x through the layers, one tidy scope per layer as the models' own forward does. */
export function runLayers(layers: readonly DecoderLayer[], x: Tensor, positionIds: Tensor, keyMask: Tensor | null): Tensor {
  for (const layer of layers) x = T.tidy(() => T.onDevice('a decoder layer', () => layer.forward(x, positionIds, keyMask)));
  return x;
}
