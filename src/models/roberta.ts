/**
 * RoBERTa as a text classifier, as transformers' RobertaForSequenceClassification (the paper's
 * ground-truth toxicity reward, s-nlp/roberta_toxicity_classifier, is one).
 *
 * Each token's embedding is the sum of its word, position and token-type embeddings, layer
 * normalised. Positions count the real tokens: the i-th non-padding token of a row sits at
 * padding_idx + i (1-based), and padding tokens sit at padding_idx itself. A stack of post-norm
 * encoder layers follows, each bidirectional multi-head self-attention over the real tokens, then
 * a GELU feed-forward block, each added to its input and layer normalised. The classifier reads
 * the first token (<s>): dense → tanh → out_proj gives one logit per label. RoBERTa's classifier
 * has no pooler. As in transformers, the word and position embedding rows of the padding id get
 * no gradient from their lookups (torch's padding_idx). Parameter names match transformers, so
 * checkpoints load and save unchanged. Every token has token type 0 (no token_type_ids input).
 *
 * Dropout is identity at inference. In training mode, hidden dropout (after the embeddings, each
 * attention and feed-forward output, and around the classifier's dense layer) is applied only
 * when the model was built with a `dropoutRng`: a model loaded to score text never drops out,
 * even if nobody called eval(). Dropout of the attention probabilities is not implemented (the
 * fused attention op has none), so training with attention_probs_dropout_prob > 0 differs from
 * transformers there.
 */
import { Dropout, Embedding, LayerNorm, Linear, Module, ModuleList, type Rng } from '../nn/index.js';
import type { RobertaConfig } from '../io/config.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { activation } from './activations.js';
import { ModelInputError } from './errors.js';
import { maxInputTokens } from './input-length.js';
import { PaddedEmbedding } from './padded-embedding.js';
import type { SequenceClassifierInputs, SequenceClassifierOutputs } from './sequence-classification.js';

export interface RobertaOptions {
  /** Source of dropout masks; without it the model never applies dropout. */
  dropoutRng?: Rng;
}

/** Identity unless an rng was given and the module is training. */
class HiddenDropout extends Module {
  private readonly dropout: Dropout | null;

  constructor(p: number, rng: Rng | undefined) {
    super();
    this.dropout = rng && p > 0 ? new Dropout(p, rng) : null;
  }

  forward(x: Tensor): Tensor {
    if (!this.dropout) return x;
    this.dropout.training = this.training;
    return this.dropout.forward(x);
  }
}

/**
 * RoBERTa's positions: padding_idx + (number of non-padding tokens up to and including this one)
 * for real tokens, padding_idx for padding, found from the ids as transformers does.
 */
export function robertaPositions(inputIds: Tensor, paddingIdx: number): Tensor {
  const [batch, t] = inputIds.shape as [number, number];
  const ids = inputIds.ids;
  const positions = new Int32Array(batch * t);
  for (let b = 0; b < batch; b++) {
    let seen = 0;
    for (let i = 0; i < t; i++) {
      const real = ids[b * t + i] !== paddingIdx;
      if (real) seen++;
      positions[b * t + i] = real ? paddingIdx + seen : paddingIdx;
    }
  }
  return T.idTensor(positions, [batch, t], inputIds.backend);
}

class RobertaEmbeddings extends Module {
  readonly wordEmbeddings: PaddedEmbedding;
  readonly positionEmbeddings: PaddedEmbedding;
  readonly tokenTypeEmbeddings: Embedding;
  readonly layerNorm: LayerNorm;
  private readonly dropout: HiddenDropout;

  constructor(private readonly config: RobertaConfig, rng: Rng | undefined) {
    super();
    const { vocabSize, hiddenSize, maxPositionEmbeddings, typeVocabSize } = config;
    this.wordEmbeddings = this.addModule('word_embeddings', new PaddedEmbedding(vocabSize, hiddenSize, config.padTokenId));
    this.positionEmbeddings = this.addModule('position_embeddings', new PaddedEmbedding(maxPositionEmbeddings, hiddenSize, config.padTokenId));
    this.tokenTypeEmbeddings = this.addModule('token_type_embeddings', new Embedding(typeVocabSize, hiddenSize));
    this.layerNorm = this.addModule('LayerNorm', new LayerNorm(hiddenSize, { eps: config.layerNormEps }));
    this.dropout = this.addModule('dropout', new HiddenDropout(config.hiddenDropoutProb, rng));
  }

  forward(inputIds: Tensor): Tensor {
    const { padTokenId, maxPositionEmbeddings } = this.config;
    const positions = robertaPositions(inputIds, padTokenId);
    let longest = 0;
    for (const position of positions.ids) longest = Math.max(longest, position);
    if (longest >= maxPositionEmbeddings) {
      const limit = maxInputTokens(this.config);
      throw new ModelInputError(
        'RoBERTa',
        `a row has ${longest - padTokenId} tokens, but this model has position embeddings for at most ${limit}; truncate the text (tokenizer truncation to ${limit} tokens)`,
      );
    }
    // Every token has type 0 (transformers' default token_type_ids).
    const tokenTypes = T.idTensor(new Int32Array(inputIds.size), inputIds.shape, inputIds.backend);
    const summed = T.add(T.add(this.wordEmbeddings.forward(inputIds), this.tokenTypeEmbeddings.forward(tokenTypes)), this.positionEmbeddings.forward(positions));
    return this.dropout.forward(this.layerNorm.forward(summed));
  }
}

class RobertaSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;

  constructor(private readonly config: RobertaConfig) {
    super();
    const { hiddenSize } = config;
    this.query = this.addModule('query', new Linear(hiddenSize, hiddenSize));
    this.key = this.addModule('key', new Linear(hiddenSize, hiddenSize));
    this.value = this.addModule('value', new Linear(hiddenSize, hiddenSize));
  }

  /** The attended values of every head side by side, [batch, t, hidden]. */
  forward(x: Tensor, keyMask: Tensor | null): Tensor {
    const { numAttentionHeads: heads, headDim, hiddenSize } = this.config;
    const [batch, t] = x.shape as [number, number];
    const split = (y: Tensor) => T.permute(T.reshape(y, [batch, t, heads, headDim]), [0, 2, 1, 3]);
    const context = T.attention(split(this.query.forward(x)), split(this.key.forward(x)), split(this.value.forward(x)), { causal: false, keyMask });
    return T.reshape(T.permute(context, [0, 2, 1, 3]), [batch, t, hiddenSize]);
  }
}

/** dense → dropout → LayerNorm(· + residual): closes both the attention and the feed-forward block. */
class RobertaAddAndNorm extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;
  private readonly dropout: HiddenDropout;

  constructor(inFeatures: number, config: RobertaConfig, rng: Rng | undefined) {
    super();
    this.dense = this.addModule('dense', new Linear(inFeatures, config.hiddenSize));
    this.layerNorm = this.addModule('LayerNorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
    this.dropout = this.addModule('dropout', new HiddenDropout(config.hiddenDropoutProb, rng));
  }

  forward(x: Tensor, residual: Tensor): Tensor {
    return this.layerNorm.forward(T.add(this.dropout.forward(this.dense.forward(x)), residual));
  }
}

class RobertaAttention extends Module {
  readonly self: RobertaSelfAttention;
  readonly output: RobertaAddAndNorm;

  constructor(config: RobertaConfig, rng: Rng | undefined) {
    super();
    this.self = this.addModule('self', new RobertaSelfAttention(config));
    this.output = this.addModule('output', new RobertaAddAndNorm(config.hiddenSize, config, rng));
  }

  forward(x: Tensor, keyMask: Tensor | null): Tensor {
    return this.output.forward(this.self.forward(x, keyMask), x);
  }
}

class RobertaIntermediate extends Module {
  readonly dense: Linear;
  private readonly act: (x: Tensor) => Tensor;

  constructor(config: RobertaConfig) {
    super();
    this.act = activation(config.hiddenAct);
    this.dense = this.addModule('dense', new Linear(config.hiddenSize, config.intermediateSize));
  }

  forward(x: Tensor): Tensor {
    return this.act(this.dense.forward(x));
  }
}

class RobertaLayer extends Module {
  readonly attention: RobertaAttention;
  readonly intermediate: RobertaIntermediate;
  readonly output: RobertaAddAndNorm;

  constructor(config: RobertaConfig, rng: Rng | undefined) {
    super();
    this.attention = this.addModule('attention', new RobertaAttention(config, rng));
    this.intermediate = this.addModule('intermediate', new RobertaIntermediate(config));
    this.output = this.addModule('output', new RobertaAddAndNorm(config.intermediateSize, config, rng));
  }

  forward(x: Tensor, keyMask: Tensor | null): Tensor {
    const attended = this.attention.forward(x, keyMask);
    return this.output.forward(this.intermediate.forward(attended), attended);
  }
}

class RobertaEncoder extends Module {
  readonly layer: ModuleList<RobertaLayer>;

  constructor(config: RobertaConfig, rng: Rng | undefined) {
    super();
    this.layer = this.addModule('layer', new ModuleList(Array.from({ length: config.numHiddenLayers }, () => new RobertaLayer(config, rng))));
  }

  forward(x: Tensor, keyMask: Tensor | null): Tensor {
    // One scope per layer: without gradients, a layer's temporaries are freed before the next.
    for (const layer of this.layer) x = T.tidy(() => T.onDevice('a RoBERTa layer', () => layer.forward(x, keyMask)));
    return x;
  }
}

/** The encoder without a head and without a pooler (transformers' RobertaModel(add_pooling_layer=False)). */
export class RobertaModel extends Module {
  readonly embeddings: RobertaEmbeddings;
  readonly encoder: RobertaEncoder;

  constructor(readonly config: RobertaConfig, options: RobertaOptions = {}) {
    super();
    this.embeddings = this.addModule('embeddings', new RobertaEmbeddings(config, options.dropoutRng));
    this.encoder = this.addModule('encoder', new RobertaEncoder(config, options.dropoutRng));
  }

  /** The last layer's hidden states, [batch, t, hidden]. */
  forward(inputs: SequenceClassifierInputs): Tensor {
    const { inputIds, attentionMask } = inputs;
    if (inputIds.rank !== 2 || inputIds.dtype !== 'int32') {
      throw new ModelInputError('RoBERTa', `inputIds must be an int32 [batch, t] tensor, got ${inputIds.dtype} [${inputIds.shape.join(', ')}]`);
    }
    if (attentionMask && attentionMask.shape.join() !== inputIds.shape.join()) {
      throw new ModelInputError('RoBERTa', `attentionMask has shape [${attentionMask.shape.join(', ')}] but inputIds has [${inputIds.shape.join(', ')}]; pass the mask the tokenizer returned with these ids`);
    }
    return this.encoder.forward(this.embeddings.forward(inputIds), attentionMask ? T.asFloat32(attentionMask) : null);
  }
}

/** The head on the first token (<s>): dropout → dense → tanh → dropout → out_proj. */
class RobertaClassificationHead extends Module {
  readonly dense: Linear;
  readonly outProj: Linear;
  private readonly dropout: HiddenDropout;

  constructor(config: RobertaConfig, rng: Rng | undefined) {
    super();
    this.dense = this.addModule('dense', new Linear(config.hiddenSize, config.hiddenSize));
    this.dropout = this.addModule('dropout', new HiddenDropout(config.classifierDropout ?? config.hiddenDropoutProb, rng));
    this.outProj = this.addModule('out_proj', new Linear(config.hiddenSize, config.numLabels));
  }

  forward(hidden: Tensor): Tensor {
    const [batch, t, size] = hidden.shape as [number, number, number];
    const first = T.indexSelect(T.reshape(hidden, [batch * t, size]), 0, Array.from({ length: batch }, (_, b) => b * t));
    const x = T.tanh(this.dense.forward(this.dropout.forward(first)));
    return this.outProj.forward(this.dropout.forward(x));
  }
}

export class RobertaForSequenceClassification extends Module {
  readonly roberta: RobertaModel;
  readonly classifier: RobertaClassificationHead;

  constructor(readonly config: RobertaConfig, options: RobertaOptions = {}) {
    super();
    this.roberta = this.addModule('roberta', new RobertaModel(config, options));
    this.classifier = this.addModule('classifier', new RobertaClassificationHead(config, options.dropoutRng));
  }

  forward(inputs: SequenceClassifierInputs): SequenceClassifierOutputs {
    const hidden = this.roberta.forward(inputs);
    return { hidden, logits: this.classifier.forward(hidden) };
  }
}
