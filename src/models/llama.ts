/**
 * Llama, as transformers' LlamaForCausalLM.
 *
 * Token embeddings go through a stack of pre-norm layers: x + attn(rmsnorm(x)), then
 * h + mlp(rmsnorm(h)). Attention is grouped-query (numKeyValueHeads key/value heads, each shared
 * by numAttentionHeads / numKeyValueHeads query heads) with rotary position embeddings over the
 * whole head (base rope_theta). The MLP is SiLU-gated: down(silu(gate(x)) · up(x)). A final
 * RMSNorm and the language-model head give the logits; with tie_word_embeddings the head is the
 * token embedding matrix itself (one tensor under both names, as in transformers). As in transformers, the embedding row of
 * pad_token_id gets no gradient from the lookup (torch's padding_idx).
 * Parameter names match transformers, so checkpoints load and save unchanged. Parameters start
 * at zero: load a checkpoint, or call nn's initWeights(model, rng, { std: initializerRange }).
 *
 * Rotary angles are computed in float64 by the rope op, where transformers uses float32
 * inverse frequencies and cos/sin; at the positions the fixtures cover the difference is far
 * below the 1e-4 parity tolerance.
 */
import { Linear, Module, ModuleList, RMSNorm } from '../nn/index.js';
import type { LlamaConfig } from '../io/config.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { defaultPositions, headInputs, type CausalLMInputs, type CausalLMOutputs } from './causal-lm.js';
import { DecoderTop, copyOf, type DecomposableCausalLM, type DecoderParts } from './decoder.js';
import type { KVCache } from './kv-cache.js';
import { PaddedEmbedding } from './padded-embedding.js';

class LlamaAttention extends Module {
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly oProj: Linear;

  constructor(private readonly config: LlamaConfig) {
    super();
    const { hiddenSize, numAttentionHeads, numKeyValueHeads, headDim, attentionBias: bias } = config;
    this.qProj = this.addModule('q_proj', new Linear(hiddenSize, numAttentionHeads * headDim, { bias }));
    this.kProj = this.addModule('k_proj', new Linear(hiddenSize, numKeyValueHeads * headDim, { bias }));
    this.vProj = this.addModule('v_proj', new Linear(hiddenSize, numKeyValueHeads * headDim, { bias }));
    this.oProj = this.addModule('o_proj', new Linear(numAttentionHeads * headDim, hiddenSize, { bias }));
  }

  forward(x: Tensor, positionIds: Tensor, keyMask: Tensor | null, cache?: { kv: KVCache; layer: number }): Tensor {
    const { numAttentionHeads: heads, numKeyValueHeads: kvHeads, headDim, ropeTheta } = this.config;
    const [batch, t] = x.shape as [number, number];
    const split = (y: Tensor, n: number) => T.permute(T.reshape(y, [batch, t, n, headDim]), [0, 2, 1, 3]);
    const rotary = { rotaryDims: headDim, base: ropeTheta };
    const query = T.rope(split(this.qProj.forward(x), heads), positionIds, rotary);
    let key = T.rope(split(this.kProj.forward(x), kvHeads), positionIds, rotary);
    let value = split(this.vProj.forward(x), kvHeads);
    if (cache) ({ key, value } = cache.kv.extend(cache.layer, key, value));
    // The fused op reads kv head floor(h / (heads / kvHeads)) for query head h, as repeat_kv does.
    const context = T.attention(query, key, value, { causal: true, keyMask });
    return this.oProj.forward(T.reshape(T.permute(context, [0, 2, 1, 3]), [batch, t, heads * headDim]));
  }
}

class LlamaMLP extends Module {
  readonly gateProj: Linear;
  readonly upProj: Linear;
  readonly downProj: Linear;

  constructor(config: LlamaConfig) {
    super();
    const { hiddenSize, intermediateSize, mlpBias: bias } = config;
    this.gateProj = this.addModule('gate_proj', new Linear(hiddenSize, intermediateSize, { bias }));
    this.upProj = this.addModule('up_proj', new Linear(hiddenSize, intermediateSize, { bias }));
    this.downProj = this.addModule('down_proj', new Linear(intermediateSize, hiddenSize, { bias }));
  }

  forward(x: Tensor): Tensor {
    return this.downProj.forward(T.mul(T.silu(this.gateProj.forward(x)), this.upProj.forward(x)));
  }
}

class LlamaDecoderLayer extends Module {
  readonly selfAttn: LlamaAttention;
  readonly mlp: LlamaMLP;
  readonly inputLayernorm: RMSNorm;
  readonly postAttentionLayernorm: RMSNorm;

  constructor(config: LlamaConfig) {
    super();
    this.selfAttn = this.addModule('self_attn', new LlamaAttention(config));
    this.mlp = this.addModule('mlp', new LlamaMLP(config));
    this.inputLayernorm = this.addModule('input_layernorm', new RMSNorm(config.hiddenSize, { eps: config.rmsNormEps }));
    this.postAttentionLayernorm = this.addModule('post_attention_layernorm', new RMSNorm(config.hiddenSize, { eps: config.rmsNormEps }));
  }

  forward(x: Tensor, positionIds: Tensor, keyMask: Tensor | null, cache?: { kv: KVCache; layer: number }): Tensor {
    const h = T.add(x, this.selfAttn.forward(this.inputLayernorm.forward(x), positionIds, keyMask, cache));
    return T.add(h, this.mlp.forward(this.postAttentionLayernorm.forward(h)));
  }
}

/** The transformer body without the language-model head (transformers' LlamaModel). */
export class LlamaModel extends Module {
  readonly embedTokens: PaddedEmbedding;
  readonly layers: ModuleList<LlamaDecoderLayer>;
  readonly norm: RMSNorm;

  constructor(readonly config: LlamaConfig) {
    super();
    this.embedTokens = this.addModule('embed_tokens', new PaddedEmbedding(config.vocabSize, config.hiddenSize, config.padTokenId));
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: config.numHiddenLayers }, () => new LlamaDecoderLayer(config))));
    this.norm = this.addModule('norm', new RMSNorm(config.hiddenSize, { eps: config.rmsNormEps }));
  }

  /** The final hidden states, [batch, t, hidden]. */
  forward(inputs: CausalLMInputs): Tensor {
    const positionIds = inputs.positionIds ?? defaultPositions(inputs.inputIds, inputs.attentionMask, inputs.cache?.length ?? 0);
    let x = this.embedTokens.forward(inputs.inputIds);
    const keyMask = inputs.attentionMask ? T.asFloat32(inputs.attentionMask) : null;
    let index = 0;
    for (const layer of this.layers) {
      const cache = inputs.cache ? { kv: inputs.cache, layer: index++ } : undefined;
      // One scope per layer: without gradients, a layer's temporaries are freed before the next.
      x = T.tidy(() => T.onDevice('a Llama layer', () => layer.forward(x, positionIds, keyMask, cache)));
    }
    return this.norm.forward(x);
  }
}

/** logits = x·Wᵀ with a weight it may share with the token embedding (tied embeddings). */
class LanguageModelHead extends Module {
  readonly weight: Tensor;

  constructor(weight: Tensor) {
    super();
    this.weight = this.addParameter('weight', weight);
  }

  forward(x: Tensor): Tensor {
    return T.matmul(x, this.weight, { transB: true });
  }
}

export class LlamaForCausalLM extends Module implements DecomposableCausalLM {
  readonly model: LlamaModel;
  readonly lmHead: Linear | LanguageModelHead;

  constructor(readonly config: LlamaConfig) {
    super();
    this.model = this.addModule('model', new LlamaModel(config));
    this.lmHead = this.addModule(
      'lm_head',
      config.tieWordEmbeddings
        ? new LanguageModelHead(this.model.embedTokens.weight)
        : new Linear(config.hiddenSize, config.vocabSize, { bias: false }),
    );
    // A tied tensor carries the name it is listed under (the embedding's), not the head's.
    for (const [name, parameter] of this.namedParameters()) parameter.name = name;
  }

  forward(inputs: CausalLMInputs): CausalLMOutputs {
    const hidden = this.model.forward(inputs);
    return { hidden, logits: this.lmHead.forward(headInputs(hidden, inputs.logitsFor)) };
  }

  parts(): DecoderParts {
    const { embedTokens, layers, norm } = this.model;
    return { embedding: embedTokens, layers: [...layers], finalNorm: norm, lmHead: this.lmHead };
  }

  copyTop(count: number): DecoderTop {
    const { config } = this;
    const layers = [...this.model.layers].slice(config.numHiddenLayers - count).map((layer) => copyOf(layer, new LlamaDecoderLayer(config)));
    const norm = copyOf(this.model.norm, new RMSNorm(config.hiddenSize, { eps: config.rmsNormEps }));
    // A tied head becomes an untied copy: the reference is frozen, so nothing keeps the two in step.
    const lmHead = new Linear(config.hiddenSize, config.vocabSize, { bias: false });
    T.writeHost(lmHead.weight, this.lmHead.weight.data);
    return new DecoderTop(layers, norm, lmHead);
  }

  copyEmbedding(): PaddedEmbedding {
    const { vocabSize, hiddenSize, padTokenId } = this.config;
    return copyOf(this.model.embedTokens, new PaddedEmbedding(vocabSize, hiddenSize, padTokenId));
  }
}
