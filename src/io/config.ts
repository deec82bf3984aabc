/**
 * config.json ⇄ typed model configs for the architectures irlens implements: gpt_neox (Pythia),
 * roberta (the toxicity classifier) and llama. Field defaults follow transformers'
 * GPTNeoXConfig, RobertaConfig, LlamaConfig and PretrainedConfig. A setting that changes the
 * computation in a way irlens does not implement is refused with a ConfigError naming the key,
 * its value and what is supported, never ignored. Keys that do not affect the math
 * (use_cache, transformers_version, ...) are ignored.
 */
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { ConfigError } from './errors.js';
import { modelFolderFile } from './inside-folder.js';
import { previewJson } from './preview.js';

export const SUPPORTED_MODEL_TYPES = ['gpt_neox', 'roberta', 'llama'] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

/** Activations irlens implements; "gelu" is the exact (erf) GELU, the tanh forms its approximation. */
export const SUPPORTED_ACTIVATIONS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu', 'silu'] as const;
export type Activation = (typeof SUPPORTED_ACTIVATIONS)[number];

export const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

/** Fields every config carries (transformers' PretrainedConfig plus the shared sizes). */
export interface BaseConfig {
  architectures: string[];
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  initializerRange: number;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  padTokenId: number | null;
  /** The dtype the weights were saved in ("float32", "float16", ...), when the config says. */
  dtype: string | null;
  /** Sequence-classification heads (RobertaForSequenceClassification, *ForSequenceClassification). */
  numLabels: number;
  id2label: Record<number, string>;
  label2id: Record<string, number>;
  problemType: ProblemType | null;
}

export interface GptNeoxConfig extends BaseConfig {
  modelType: 'gpt_neox';
  hiddenAct: Activation;
  /** hiddenSize / numAttentionHeads. */
  headDim: number;
  /** Fraction of each head's dimensions that get rotary embeddings (rotary_pct / partial_rotary_factor). */
  partialRotaryFactor: number;
  /** floor(headDim × partialRotaryFactor), as transformers computes it. */
  rotaryDims: number;
  /** Rotary base (rotary_emb_base / rope_theta). */
  ropeTheta: number;
  layerNormEps: number;
  useParallelResidual: boolean;
  attentionBias: boolean;
  attentionDropout: number;
  hiddenDropout: number;
}

export interface RobertaConfig extends BaseConfig {
  modelType: 'roberta';
  hiddenAct: Activation;
  headDim: number;
  layerNormEps: number;
  typeVocabSize: number;
  positionEmbeddingType: 'absolute';
  /** RoBERTa numbers positions from padTokenId + 1, so it must be set. */
  padTokenId: number;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  classifierDropout: number | null;
}

export interface LlamaConfig extends BaseConfig {
  modelType: 'llama';
  hiddenAct: 'silu';
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  attentionBias: boolean;
  mlpBias: boolean;
  attentionDropout: number;
}

export type ModelConfig = GptNeoxConfig | RobertaConfig | LlamaConfig;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Typed access to a config's keys; every complaint names the file and the key. */
class Fields {
  constructor(
    readonly raw: Json,
    readonly file: string,
  ) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  invalid(key: string, expected: string): ConfigError {
    return new ConfigError(this.file, `"${key}" is ${previewJson(this.raw[key])}; expected ${expected}`);
  }

  unsupported(key: string, value: unknown, supported: string): ConfigError {
    return new ConfigError(this.file, `"${key}" is ${previewJson(value)}, which irlens does not implement; it supports ${supported}`);
  }

  private get<T>(key: string, fallback: T | undefined, check: (v: unknown) => boolean, expected: string): T {
    const value = this.raw[key];
    if (value === undefined) {
      if (fallback === undefined) throw new ConfigError(this.file, `"${key}" is missing; expected ${expected}`);
      return fallback;
    }
    if (!check(value)) throw this.invalid(key, expected);
    return value as T;
  }

  /** A positive integer; required when `fallback` is absent. */
  size(key: string, fallback?: number): number {
    return this.get(key, fallback, (v) => Number.isSafeInteger(v) && (v as number) > 0, 'a positive integer');
  }

  count(key: string, fallback?: number): number {
    return this.get(key, fallback, (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a non-negative integer');
  }

  positive(key: string, fallback?: number): number {
    return this.get(key, fallback, (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number');
  }

  probability(key: string, fallback?: number): number {
    return this.get(key, fallback, (v) => typeof v === 'number' && v >= 0 && v < 1, 'a number in [0, 1)');
  }

  bool(key: string, fallback?: boolean): boolean {
    return this.get(key, fallback, (v) => typeof v === 'boolean', 'true or false');
  }

  tokenId(key: string, fallback: number | null): number | null {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    if (value === null) return null;
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw this.invalid(key, 'a token id or null');
    return value as number;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw[key] ?? fallback;
    if (!allowed.includes(value as T)) throw this.unsupported(key, value, allowed.map((a) => `"${a}"`).join(', '));
    return value as T;
  }
}

/** Rotary settings in either spelling: the legacy keys or transformers 5's `rope_parameters`. */
interface Rope {
  theta: number;
  partialRotaryFactor: number | undefined;
}

function parseRope(f: Fields, legacyThetaKey: string, defaultTheta: number): Rope {
  // transformers: a non-null legacy `rope_scaling` replaces `rope_parameters`; both describe the same thing.
  const key = f.raw.rope_scaling != null ? 'rope_scaling' : 'rope_parameters';
  const parameters = f.raw[key] ?? {};
  if (!isObject(parameters)) throw f.invalid(key, 'an object or null');
  const ropeType = parameters.rope_type ?? parameters.type ?? 'default';
  if (ropeType !== 'default') {
    throw new ConfigError(f.file, `"${key}" has rope_type ${previewJson(ropeType)}, which irlens does not implement; it supports only unscaled rotary embeddings (rope_type "default", or ${key} null)`);
  }
  const inner = new Fields(parameters, `${f.file} (${key})`);
  const theta = inner.has('rope_theta') ? inner.positive('rope_theta') : f.positive(f.has('rope_theta') ? 'rope_theta' : legacyThetaKey, defaultTheta);
  const partialRotaryFactor = inner.has('partial_rotary_factor')
    ? inner.positive('partial_rotary_factor')
    : f.has('partial_rotary_factor')
      ? f.positive('partial_rotary_factor')
      : undefined;
  return { theta, partialRotaryFactor };
}

function parseLabels(f: Fields): Pick<BaseConfig, 'numLabels' | 'id2label' | 'label2id' | 'problemType'> {
  const id2label: Record<number, string> = {};
  if (f.has('id2label')) {
    if (!isObject(f.raw.id2label)) throw f.invalid('id2label', 'an object mapping class ids to names');
    for (const [id, label] of Object.entries(f.raw.id2label)) {
      if (!/^\d+$/.test(id) || typeof label !== 'string') throw f.invalid('id2label', 'an object mapping class ids ("0", "1", ...) to names');
      id2label[Number(id)] = label;
    }
  }
  const listed = Object.keys(id2label).length;
  const numLabels = f.size('num_labels', listed > 0 ? listed : 2);
  if (listed > 0 && listed !== numLabels) {
    throw new ConfigError(f.file, `"num_labels" is ${numLabels} but "id2label" names ${listed} classes; make them agree`);
  }
  for (let id = 0; id < numLabels; id++) {
    if (id2label[id] === undefined) {
      if (listed > 0) throw new ConfigError(f.file, `"id2label" has no class ${id}; its ids must be 0 .. ${numLabels - 1}`);
      id2label[id] = `LABEL_${id}`;
    }
  }
  const label2id: Record<string, number> = {};
  if (f.has('label2id')) {
    if (!isObject(f.raw.label2id)) throw f.invalid('label2id', 'an object mapping class names to ids');
    for (const [label, id] of Object.entries(f.raw.label2id)) {
      if (!Number.isSafeInteger(id) || id2label[id as number] !== label) {
        throw new ConfigError(f.file, `"label2id" maps ${previewJson(label)} to ${previewJson(id)}, which disagrees with "id2label"; make them agree`);
      }
      label2id[label] = id as number;
    }
  } else {
    for (const [id, label] of Object.entries(id2label)) label2id[label] = Number(id);
  }
  const problemType = f.raw.problem_type == null ? null : f.oneOf('problem_type', PROBLEM_TYPES, 'single_label_classification');
  return { numLabels, id2label, label2id, problemType };
}

/** Refuses keys whose presence changes the model in ways irlens does not implement. */
function refuseUnsupported(f: Fields): void {
  if (f.raw.quantization_config != null) {
    throw f.unsupported('quantization_config', f.raw.quantization_config, 'unquantized weights only (float32, float16, bfloat16)');
  }
  if (f.raw.add_cross_attention === true) throw f.unsupported('add_cross_attention', true, 'false (no cross-attention)');
}

function parseBase(f: Fields, defaultArchitecture: string, defaults: { positions: number; tie: boolean; bos: number | null; eos: number | null; pad: number | null }): BaseConfig {
  const architectures = f.raw.architectures ?? [defaultArchitecture];
  if (!Array.isArray(architectures) || !architectures.every((a) => typeof a === 'string')) throw f.invalid('architectures', 'a list of class names');
  const eos = f.raw.eos_token_id;
  let eosTokenId: number | number[] | null;
  if (Array.isArray(eos)) {
    if (!eos.every((id) => Number.isSafeInteger(id) && id >= 0)) throw f.invalid('eos_token_id', 'a token id, a list of token ids, or null');
    eosTokenId = [...(eos as number[])];
  } else eosTokenId = f.tokenId('eos_token_id', defaults.eos);
  const dtypeKey = f.has('dtype') ? 'dtype' : 'torch_dtype';
  const dtype = f.raw[dtypeKey] ?? null;
  if (dtype !== null && typeof dtype !== 'string') throw f.invalid(dtypeKey, 'a dtype name such as "float32"');
  return {
    architectures: [...(architectures as string[])],
    vocabSize: f.size('vocab_size'),
    hiddenSize: f.size('hidden_size'),
    numHiddenLayers: f.size('num_hidden_layers'),
    numAttentionHeads: f.size('num_attention_heads'),
    intermediateSize: f.size('intermediate_size'),
    maxPositionEmbeddings: f.size('max_position_embeddings', defaults.positions),
    initializerRange: f.positive('initializer_range', 0.02),
    tieWordEmbeddings: f.bool('tie_word_embeddings', defaults.tie),
    bosTokenId: f.tokenId('bos_token_id', defaults.bos),
    eosTokenId,
    padTokenId: f.tokenId('pad_token_id', defaults.pad),
    dtype: dtype as string | null,
    ...parseLabels(f),
  };
}

function headDimOf(f: Fields, base: BaseConfig): number {
  if (base.hiddenSize % base.numAttentionHeads !== 0) {
    throw new ConfigError(f.file, `"hidden_size" ${base.hiddenSize} is not divisible by "num_attention_heads" ${base.numAttentionHeads}`);
  }
  return base.hiddenSize / base.numAttentionHeads;
}

function parseGptNeox(f: Fields): GptNeoxConfig {
  const base = parseBase(f, 'GPTNeoXForCausalLM', { positions: 2048, tie: false, bos: 0, eos: 2, pad: null });
  const headDim = headDimOf(f, base);
  const rope = parseRope(f, 'rotary_emb_base', 10000);
  const partialRotaryFactor = rope.partialRotaryFactor ?? f.positive('rotary_pct', 0.25);
  if (partialRotaryFactor > 1) throw f.unsupported(f.has('rotary_pct') ? 'rotary_pct' : 'partial_rotary_factor', partialRotaryFactor, 'a fraction in (0, 1]');
  const rotaryDims = Math.floor(headDim * partialRotaryFactor);
  if (rotaryDims < 2 || rotaryDims % 2 !== 0) {
    throw new ConfigError(f.file, `rotary embeddings would cover ${rotaryDims} of the ${headDim} head dimensions (rotary fraction ${partialRotaryFactor}); irlens needs an even number, at least 2`);
  }
  return {
    modelType: 'gpt_neox',
    ...base,
    hiddenAct: f.oneOf('hidden_act', SUPPORTED_ACTIVATIONS, 'gelu'),
    headDim,
    partialRotaryFactor,
    rotaryDims,
    ropeTheta: rope.theta,
    layerNormEps: f.positive('layer_norm_eps', 1e-5),
    useParallelResidual: f.bool('use_parallel_residual', true),
    attentionBias: f.bool('attention_bias', true),
    attentionDropout: f.probability('attention_dropout', 0),
    hiddenDropout: f.probability('hidden_dropout', 0),
  };
}

function parseRoberta(f: Fields): RobertaConfig {
  const base = parseBase(f, 'RobertaForSequenceClassification', { positions: 512, tie: true, bos: 0, eos: 2, pad: 1 });
  if (f.raw.is_decoder === true) throw f.unsupported('is_decoder', true, 'false (RoBERTa as a bidirectional encoder)');
  if (base.padTokenId === null) throw f.invalid('pad_token_id', 'a token id (RoBERTa numbers positions after the padding id)');
  if (f.raw.classifier_dropout != null) f.probability('classifier_dropout');
  return {
    modelType: 'roberta',
    ...base,
    padTokenId: base.padTokenId,
    hiddenAct: f.oneOf('hidden_act', SUPPORTED_ACTIVATIONS, 'gelu'),
    headDim: headDimOf(f, base),
    layerNormEps: f.positive('layer_norm_eps', 1e-12),
    typeVocabSize: f.size('type_vocab_size', 2),
    positionEmbeddingType: f.oneOf('position_embedding_type', ['absolute'] as const, 'absolute'),
    hiddenDropoutProb: f.probability('hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: f.probability('attention_probs_dropout_prob', 0.1),
    classifierDropout: (f.raw.classifier_dropout as number | null | undefined) ?? null,
  };
}

function parseLlama(f: Fields): LlamaConfig {
  const base = parseBase(f, 'LlamaForCausalLM', { positions: 2048, tie: false, bos: 1, eos: 2, pad: null });
  const numKeyValueHeads = f.size('num_key_value_heads', base.numAttentionHeads);
  if (base.numAttentionHeads % numKeyValueHeads !== 0) {
    throw new ConfigError(f.file, `"num_attention_heads" ${base.numAttentionHeads} is not a multiple of "num_key_value_heads" ${numKeyValueHeads}`);
  }
  const headDim = f.has('head_dim') && f.raw.head_dim !== null ? f.size('head_dim') : headDimOf(f, base);
  if (headDim % 2 !== 0) throw f.unsupported('head_dim', headDim, 'an even head dimension (rotary embeddings rotate pairs)');
  const pretrainingTp = f.size('pretraining_tp', 1);
  if (pretrainingTp !== 1) throw f.unsupported('pretraining_tp', pretrainingTp, '1');
  const rope = parseRope(f, 'rope_theta', 10000);
  if (rope.partialRotaryFactor !== undefined && rope.partialRotaryFactor !== 1) {
    throw f.unsupported('partial_rotary_factor', rope.partialRotaryFactor, '1 (rotary embeddings over the whole head) for llama');
  }
  return {
    modelType: 'llama',
    ...base,
    hiddenAct: f.oneOf('hidden_act', ['silu'] as const, 'silu'),
    numKeyValueHeads,
    headDim,
    rmsNormEps: f.positive('rms_norm_eps', 1e-6),
    ropeTheta: rope.theta,
    attentionBias: f.bool('attention_bias', false),
    mlpBias: f.bool('mlp_bias', false),
    attentionDropout: f.probability('attention_dropout', 0),
  };
}

/** Parses the JSON of a config.json; `file` names it in errors. */
export function parseConfig(json: unknown, file = 'config.json'): ModelConfig {
  if (!isObject(json)) throw new ConfigError(file, 'is not a JSON object');
  const f = new Fields(json, file);
  refuseUnsupported(f);
  switch (json.model_type) {
    case 'gpt_neox':
      return parseGptNeox(f);
    case 'roberta':
      return parseRoberta(f);
    case 'llama':
      return parseLlama(f);
    default:
      throw new ConfigError(file, `"model_type" is ${previewJson(json.model_type)}; irlens implements ${SUPPORTED_MODEL_TYPES.map((t) => `"${t}"`).join(', ')}`);
  }
}

/** Path of config.json given either the file itself or the checkpoint folder holding it (which it must be inside). */
function configPath(path: string): string {
  return path.endsWith('.json') ? path : modelFolderFile(path, 'config.json');
}

/** Reads a checkpoint folder's config.json (or the given .json file). */
export function readConfig(path: string): ModelConfig {
  const file = configPath(path);
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(file, `cannot read the config (${code}); pass a Hugging Face checkpoint folder that holds config.json`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, `is not valid JSON (${(error as Error).message}); fix or re-download it`);
  }
  return parseConfig(json, file);
}

const labelFields = (config: ModelConfig): Json => ({
  id2label: Object.fromEntries(Object.entries(config.id2label).map(([id, label]) => [String(id), label])),
  label2id: { ...config.label2id },
  ...(config.problemType !== null ? { problem_type: config.problemType } : {}),
});

/** The config.json object transformers reads for `config` (weights saved as float32). */
export function configToJson(config: ModelConfig): Json {
  const common: Json = {
    architectures: [...config.architectures],
    model_type: config.modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: config.maxPositionEmbeddings,
    initializer_range: config.initializerRange,
    tie_word_embeddings: config.tieWordEmbeddings,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    pad_token_id: config.padTokenId,
    ...labelFields(config),
    // irlens saves float32 weights; transformers < 4.56 reads torch_dtype, later versions dtype.
    torch_dtype: 'float32',
    dtype: 'float32',
  };
  switch (config.modelType) {
    case 'gpt_neox':
      return {
        ...common,
        hidden_act: config.hiddenAct,
        // The legacy rotary keys are read by every transformers version (5.x maps them to rope_parameters).
        rotary_pct: config.partialRotaryFactor,
        rotary_emb_base: config.ropeTheta,
        layer_norm_eps: config.layerNormEps,
        use_parallel_residual: config.useParallelResidual,
        attention_bias: config.attentionBias,
        attention_dropout: config.attentionDropout,
        hidden_dropout: config.hiddenDropout,
      };
    case 'roberta':
      return {
        ...common,
        hidden_act: config.hiddenAct,
        layer_norm_eps: config.layerNormEps,
        type_vocab_size: config.typeVocabSize,
        position_embedding_type: config.positionEmbeddingType,
        hidden_dropout_prob: config.hiddenDropoutProb,
        attention_probs_dropout_prob: config.attentionProbsDropoutProb,
        classifier_dropout: config.classifierDropout,
      };
    case 'llama':
      return {
        ...common,
        hidden_act: config.hiddenAct,
        num_key_value_heads: config.numKeyValueHeads,
        head_dim: config.headDim,
        rms_norm_eps: config.rmsNormEps,
        // rope_theta with rope_scaling null is the one spelling that 4.x and 5.x both read.
        rope_theta: config.ropeTheta,
        rope_scaling: null,
        attention_bias: config.attentionBias,
        mlp_bias: config.mlpBias,
        attention_dropout: config.attentionDropout,
        pretraining_tp: 1,
      };
  }
}

/**
 * Writes config.json into a checkpoint folder (or to the given .json path), atomically. `extra`
 * keys are written after transformers' own (transformers keeps unknown keys as config attributes).
 */
export function writeConfig(path: string, config: ModelConfig, extra: Record<string, unknown> = {}): void {
  const file = configPath(path);
  try {
    writeFileAtomic(file, `${JSON.stringify({ ...configToJson(config), ...extra }, null, 2)}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(file, `cannot write the config (${code}); check that the folder exists and is writable`);
  }
}
