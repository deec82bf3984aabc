/**
 * GPT-NeoX (the Pythia models), as transformers' GPTNeoXForCausalLM.
 *
 * Token embeddings go through a stack of layers, each with pre-norm multi-head attention using
 * rotary position embeddings on part of each head (rotary_pct), and a GELU MLP. With parallel
 * residual (Pythia), attention and MLP both read the layer's input and are added to it together:
 * x + attn(ln1(x)) + mlp(ln2(x)). A final layer norm and an untied linear head give the logits.
 * Parameter names match transformers, so checkpoints load and save unchanged. Parameters start
 * at zero: load a checkpoint, or call nn's initWeights(model, rng, { std: initializerRange }).
 */
import { Embedding, LayerNorm, Linear, Module, ModuleList } from '../nn/index.js';
import type { GptNeoxConfig } from '../io/config.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { activation } from './activations.js';
import { defaultPositions, headInputs, type CausalLMInputs, type CausalLMOutputs } from './causal-lm.js';
import { DecoderTop, copyOf, type DecomposableCausalLM, type DecoderParts } from './decoder.js';
import type { KVCache } from './kv-cache.js';

export { defaultPositions, type CausalLMInputs, type CausalLMOutputs };

class GPTNeoXAttention extends Module {
  readonly queryKeyValue: Linear;
  readonly dense: Linear;

  constructor(private readonly config: GptNeoxConfig) {
    super();
    const { hiddenSize, attentionBias } = config;
    this.queryKeyValue = this.addModule('query_key_value', new Linear(hiddenSize, 3 * hiddenSize, { bias: attentionBias }));
    this.dense = this.addModule('dense', new Linear(hiddenSize, hiddenSize, { bias: attentionBias }));
  }

  forward(x: Tensor, positionIds: Tensor, keyMask: Tensor | null, cache?: { kv: KVCache; layer: number }): Tensor {
    const { numAttentionHeads: numHeads, hiddenSize, headDim: headSize, rotaryDims, ropeTheta } = this.config;
    const [batch, t] = x.shape as [number, number];
    // Each head's slice of query_key_value holds its query, key and value side by side.
    const qkv = T.permute(T.reshape(this.queryKeyValue.forward(x), [batch, t, numHeads, 3 * headSize]), [0, 2, 1, 3]);
    const rotary = { rotaryDims, base: ropeTheta };
    const query = T.rope(T.slice(qkv, 3, 0, headSize), positionIds, rotary);
    let key = T.rope(T.slice(qkv, 3, headSize, 2 * headSize), positionIds, rotary);
    let value = T.slice(qkv, 3, 2 * headSize, 3 * headSize);
    if (cache) ({ key, value } = cache.kv.extend(cache.layer, key, value));
    const context = T.attention(query, key, value, { causal: true, keyMask });
    return this.dense.forward(T.reshape(T.permute(context, [0, 2, 1, 3]), [batch, t, hiddenSize]));
  }
}

class GPTNeoXMLP extends Module {
  readonly denseHTo4h: Linear;
  readonly dense4hToH: Linear;
  private readonly act: (x: Tensor) => Tensor;

  constructor(config: GptNeoxConfig) {
    super();
    this.act = activation(config.hiddenAct);
    this.denseHTo4h = this.addModule('dense_h_to_4h', new Linear(config.hiddenSize, config.intermediateSize));
    this.dense4hToH = this.addModule('dense_4h_to_h', new Linear(config.intermediateSize, config.hiddenSize));
  }

  forward(x: Tensor): Tensor {
    return this.dense4hToH.forward(this.act(this.denseHTo4h.forward(x)));
  }
}

class GPTNeoXLayer extends Module {
  readonly inputLayernorm: LayerNorm;
  readonly postAttentionLayernorm: LayerNorm;
  readonly attention: GPTNeoXAttention;
  readonly mlp: GPTNeoXMLP;

  constructor(private readonly config: GptNeoxConfig) {
    super();
    this.inputLayernorm = this.addModule('input_layernorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    this.postAttentionLayernorm = this.addModule('post_attention_layernorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    this.attention = this.addModule('attention', new GPTNeoXAttention(config));
    this.mlp = this.addModule('mlp', new GPTNeoXMLP(config));
  }

  forward(x: Tensor, positionIds: Tensor, keyMask: Tensor | null, cache?: { kv: KVCache; layer: number }): Tensor {
    const attended = this.attention.forward(this.inputLayernorm.forward(x), positionIds, keyMask, cache);
    if (this.config.useParallelResidual) {
      return T.add(T.add(x, attended), this.mlp.forward(this.postAttentionLayernorm.forward(x)));
    }
    const h = T.add(x, attended);
    return T.add(h, this.mlp.forward(this.postAttentionLayernorm.forward(h)));
  }
}

/** The transformer body without the language-model head (transformers' GPTNeoXModel). */
export class GPTNeoXModel extends Module {
  readonly embedIn: Embedding;
  readonly layers: ModuleList<GPTNeoXLayer>;
  readonly finalLayerNorm: LayerNorm;

  constructor(readonly config: GptNeoxConfig) {
    super();
    this.embedIn = this.addModule('embed_in', new Embedding(config.vocabSize, config.hiddenSize));
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: config.numHiddenLayers }, () => new GPTNeoXLayer(config))));
    this.finalLayerNorm = this.addModule('final_layer_norm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
  }

  /** The final hidden states, [batch, t, hidden]. */
  forward(inputs: CausalLMInputs): Tensor {
    const positionIds = inputs.positionIds ?? defaultPositions(inputs.inputIds, inputs.attentionMask, inputs.cache?.length ?? 0);
    let x = this.embedIn.forward(inputs.inputIds);
    const keyMask = inputs.attentionMask ? T.asFloat32(inputs.attentionMask) : null;
    let index = 0;
    for (const layer of this.layers) {
      const cache = inputs.cache ? { kv: inputs.cache, layer: index++ } : undefined;
      // One scope per layer: without gradients, a layer's temporaries are freed before the next.
      x = T.tidy(() => T.onDevice('a GPT-NeoX layer', () => layer.forward(x, positionIds, keyMask, cache)));
    }
    return this.finalLayerNorm.forward(x);
  }
}

export class GPTNeoXForCausalLM extends Module implements DecomposableCausalLM {
  readonly gptNeox: GPTNeoXModel;
  readonly embedOut: Linear;

  constructor(readonly config: GptNeoxConfig) {
    super();
    this.gptNeox = this.addModule('gpt_neox', new GPTNeoXModel(config));
    this.embedOut = this.addModule('embed_out', new Linear(config.hiddenSize, config.vocabSize, { bias: false }));
  }

  forward(inputs: CausalLMInputs): CausalLMOutputs {
    const hidden = this.gptNeox.forward(inputs);
    return { hidden, logits: this.embedOut.forward(headInputs(hidden, inputs.logitsFor)) };
  }

  parts(): DecoderParts {
    const { embedIn, layers, finalLayerNorm } = this.gptNeox;
    return { embedding: embedIn, layers: [...layers], finalNorm: finalLayerNorm, lmHead: this.embedOut };
  }

  copyTop(count: number): DecoderTop {
    const { config } = this;
    const layers = [...this.gptNeox.layers].slice(config.numHiddenLayers - count).map((layer) => copyOf(layer, new GPTNeoXLayer(config)));
    const finalNorm = copyOf(this.gptNeox.finalLayerNorm, new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    const lmHead = copyOf(this.embedOut, new Linear(config.hiddenSize, config.vocabSize, { bias: false }));
    return new DecoderTop(layers, finalNorm, lmHead);
  }

  copyEmbedding(): Embedding {
    return copyOf(this.gptNeox.embedIn, new Embedding(this.config.vocabSize, this.config.hiddenSize));
  }
}
