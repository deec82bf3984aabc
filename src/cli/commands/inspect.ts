/**
 * `irlens inspect MODEL`: what a checkpoint folder (or hub id) holds, read from its files without
 * building the model: architecture, sizes, parameter counts (total and per top-level module), the
 * stored dtype, the tokenizer and its special tokens, the checkpoint format and files.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { emit, humanCount, modelFolder, table, withJson, withRevision } from '../options.js';

interface InspectOptions {
  json?: boolean;
  revision?: string;
}

export interface TensorSummary {
  name: string;
  dtype: string;
  shape: number[];
}

export interface InspectResult {
  folder: string;
  architecture: string | null;
  kind: 'causal-lm' | 'sequence-classifier' | null;
  supported: boolean;
  modelType: string;
  config: {
    layers: number;
    hiddenSize: number;
    heads: number;
    keyValueHeads?: number;
    intermediateSize: number;
    vocabSize: number;
    maxPositionEmbeddings: number;
    tieWordEmbeddings: boolean;
    labels?: Record<string, string>;
  };
  parameters: {
    total: number;
    /** Elements per top-level module (a backbone's first-level parts separately; numbered layers together). */
    modules: Array<{ name: string; parameters: number; tensors: number }>;
    tensors: number;
  };
  weights: {
    format: string;
    /** Stored element types and how many elements each holds. */
    dtypes: Record<string, number>;
    /** Where the dtype was read: the files' headers, or config.json's torch_dtype/dtype (torch .bin). */
    dtypeSource: 'headers' | 'config';
    files: string[];
  };
  tokenizer: TokenizerSummary | { error: string } | null;
  files: Array<{ name: string; bytes: number }>;
}

interface TokenizerSummary {
  type: string;
  class: string | null;
  vocabSize: number;
  specialTokens: Array<{ id: number; token: string }>;
  bos: { id: number; token: string } | null;
  eos: { id: number; token: string } | null;
  pad: { id: number; token: string } | null;
  unk: { id: number; token: string } | null;
  paddingSide: string;
  truncationSide: string;
  modelMaxLength: number | null;
}

export function registerInspect(program: Command): void {
  const command = program
    .command('inspect')
    .argument('<model>', 'a checkpoint folder or a Hugging Face model id (e.g. EleutherAI/pythia-70m)')
    .description('Show a model checkpoint: architecture, sizes, parameter counts, stored dtype, tokenizer, format and files.')
    .action((model: string, options: InspectOptions) => inspectCommand(model, options));
  withRevision(command);
  withJson(command);
}

async function inspectCommand(spec: string, options: InspectOptions): Promise<void> {
  const folder = await modelFolder(spec, options.revision);
  const result = await inspectFolder(folder);
  emit(options.json, result, () => describe(result));
}

/** Groups a weight name under its top-level module: `gpt_neox.layers.3.mlp.x` → `gpt_neox.layers`. */
export function moduleOf(name: string, backbones: ReadonlySet<string>): string {
  const parts = name.split('.');
  const head = parts[0]!;
  if (parts.length <= 1) return head;
  if (/^\d+$/.test(parts[1]!)) return head; // layers.0.x at the top
  if (backbones.has(head) && parts.length > 2) return `${head}.${parts[1]}`;
  return head;
}

export async function inspectFolder(folder: string): Promise<InspectResult> {
  const { readConfig } = await import('../../io/config.js');
  const { ARCHITECTURES } = await import('../../models/registry.js');
  const config = readConfig(folder);
  const named = config.architectures[0] ?? null;
  const candidates = ARCHITECTURES.filter((a) => a.modelType === config.modelType);
  const architecture = candidates.find((a) => a.name === named) ?? (named === null ? candidates[0] : undefined);

  const { format, tensors, files, dtypeSource } = await readWeights(folder);
  const dtypes: Record<string, number> = {};
  let total = 0;
  const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  for (const tensor of tensors) {
    const count = elements(tensor.shape);
    total += count;
    dtypes[tensor.dtype] = (dtypes[tensor.dtype] ?? 0) + count;
  }
  if (dtypeSource === 'config') {
    const stored = config.dtype ?? 'unknown';
    for (const key of Object.keys(dtypes)) delete dtypes[key];
    dtypes[stored] = total;
  }
  // A first-level part that itself holds numbered layers (gpt_neox.layers.0, model.layers.0) is a backbone.
  const backbones = new Set(tensors.filter((t) => /^[^.]+\.[^.]+\.\d+\./.test(t.name)).map((t) => t.name.split('.')[0]!));
  const modules = new Map<string, { parameters: number; tensors: number }>();
  for (const tensor of tensors) {
    const key = moduleOf(tensor.name, backbones);
    const entry = modules.get(key) ?? { parameters: 0, tensors: 0 };
    entry.parameters += elements(tensor.shape);
    entry.tensors += 1;
    modules.set(key, entry);
  }

  const labels = config.numLabels > 0 && architecture?.kind === 'sequence-classifier'
    ? Object.fromEntries(Object.entries(config.id2label).map(([id, name]) => [id, name]))
    : undefined;
  return {
    folder,
    architecture: named ?? architecture?.name ?? null,
    kind: architecture?.kind ?? null,
    supported: architecture !== undefined,
    modelType: config.modelType,
    config: {
      layers: config.numHiddenLayers,
      hiddenSize: config.hiddenSize,
      heads: config.numAttentionHeads,
      ...(config.modelType === 'llama' ? { keyValueHeads: config.numKeyValueHeads } : {}),
      intermediateSize: config.intermediateSize,
      vocabSize: config.vocabSize,
      maxPositionEmbeddings: config.maxPositionEmbeddings,
      tieWordEmbeddings: config.tieWordEmbeddings,
      ...(labels ? { labels } : {}),
    },
    parameters: { total, tensors: tensors.length, modules: [...modules].map(([name, entry]) => ({ name, ...entry })) },
    weights: { format, dtypes, dtypeSource, files },
    tokenizer: await tokenizerSummary(folder),
    files: readdirSync(folder)
      .filter((name) => statSync(join(folder, name)).isFile())
      .sort()
      .map((name) => ({ name, bytes: statSync(join(folder, name)).size })),
  };
}

async function readWeights(folder: string): Promise<{ format: string; tensors: TensorSummary[]; files: string[]; dtypeSource: 'headers' | 'config' }> {
  const { readSafetensorsHeader } = await import('../../io/safetensors.js');
  const { CheckpointError } = await import('../../io/errors.js');
  const fromHeaders = (files: string[]) =>
    files.flatMap((file) => readSafetensorsHeader(join(folder, file)).entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape })));
  const shardsOf = async (index: string) => {
    const { readWeightMap } = await import('../../io/checkpoint.js');
    return [...readWeightMap(join(folder, index)).keys()].sort();
  };
  if (existsSync(join(folder, 'model.safetensors'))) {
    return { format: 'safetensors', tensors: fromHeaders(['model.safetensors']), files: ['model.safetensors'], dtypeSource: 'headers' };
  }
  if (existsSync(join(folder, 'model.safetensors.index.json'))) {
    const shards = await shardsOf('model.safetensors.index.json');
    return { format: 'safetensors-sharded', tensors: fromHeaders(shards), files: ['model.safetensors.index.json', ...shards], dtypeSource: 'headers' };
  }
  for (const [name, format] of [['pytorch_model.bin', 'torch-bin'], ['pytorch_model.bin.index.json', 'torch-bin-sharded']] as const) {
    if (!existsSync(join(folder, name))) continue;
    // A torch pickle has no header to read cheaply: load it (the stored dtype comes from config.json).
    const { loadCheckpoint } = await import('../../io/checkpoint.js');
    const checkpoint = loadCheckpoint(folder);
    const tensors = [...checkpoint.tensors].map(([tensorName, record]) => ({ name: tensorName, dtype: record.dtype, shape: record.shape }));
    const files = format === 'torch-bin' ? [name] : [name, ...(await shardsOf(name))];
    return { format, tensors, files, dtypeSource: 'config' };
  }
  const present = readdirSync(folder).sort().join(', ') || 'nothing';
  throw new CheckpointError(folder, `has no weights (model.safetensors, its sharded index, pytorch_model.bin or its index); it holds ${present}`, 'point irlens at a Hugging Face checkpoint folder');
}

async function tokenizerSummary(folder: string): Promise<InspectResult['tokenizer']> {
  if (!existsSync(join(folder, 'tokenizer.json'))) return null;
  const { Tokenizer, TokenizerError } = await import('../../text/index.js');
  let tokenizer;
  try {
    tokenizer = Tokenizer.fromFolder(folder);
  } catch (error) {
    if (error instanceof TokenizerError) return { error: error.message };
    throw error;
  }
  const readJson = (name: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(join(folder, name), 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const model = readJson('tokenizer.json').model as { type?: unknown } | undefined;
  const tokenizerClass = readJson('tokenizer_config.json').tokenizer_class;
  const named = (id: number | undefined) => (id === undefined ? null : { id, token: tokenizer.idToToken(id) ?? '?' });
  return {
    type: typeof model?.type === 'string' ? model.type : 'unknown',
    class: typeof tokenizerClass === 'string' ? tokenizerClass : null,
    vocabSize: tokenizer.vocabSize,
    specialTokens: [...tokenizer.specialTokenIds].sort((a, b) => a - b).map((id) => ({ id, token: tokenizer.idToToken(id) ?? '?' })),
    bos: named(tokenizer.bosTokenId),
    eos: named(tokenizer.eosTokenId),
    pad: named(tokenizer.padTokenId),
    unk: named(tokenizer.unkTokenId),
    paddingSide: tokenizer.paddingSide,
    truncationSide: tokenizer.truncationSide,
    modelMaxLength: tokenizer.modelMaxLength ?? null,
  };
}

const bytesText = (bytes: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
};

function describe(r: InspectResult): string[] {
  const c = r.config;
  const row = (label: string, value: string) => `  ${label.padEnd(13)}${value}`;
  const token = (t: { id: number; token: string } | null) => (t === null ? 'none' : `${JSON.stringify(t.token)} (${t.id})`);
  const lines = [
    r.folder,
    row('architecture', `${r.architecture ?? '(none named)'}${r.kind ? ` (${r.kind})` : ''}${r.supported ? '' : ' — not implemented in irlens'}`),
    row('model type', r.modelType),
    row(
      'sizes',
      `${c.layers} layers, hidden ${c.hiddenSize}, ${c.heads} heads${c.keyValueHeads !== undefined ? ` (${c.keyValueHeads} key/value)` : ''}, ` +
        `intermediate ${c.intermediateSize}, vocab ${c.vocabSize}, max positions ${c.maxPositionEmbeddings}${c.tieWordEmbeddings ? ', tied embeddings' : ''}`,
    ),
  ];
  if (c.labels) lines.push(row('labels', Object.entries(c.labels).map(([id, name]) => `${id}=${name}`).join(', ')));
  lines.push(row('parameters', `${r.parameters.total.toLocaleString('en-US')} (${humanCount(r.parameters.total)}) in ${r.parameters.tensors} tensors`));
  lines.push(
    ...table(
      r.parameters.modules.map((m) => [m.name, m.parameters.toLocaleString('en-US'), `${((100 * m.parameters) / Math.max(r.parameters.total, 1)).toFixed(1)}%`]),
      ' '.repeat(15),
    ),
  );
  const dtypes = Object.entries(r.weights.dtypes).map(([dtype, count]) => (Object.keys(r.weights.dtypes).length > 1 ? `${dtype} (${humanCount(count)})` : dtype));
  lines.push(row('weights', `${r.weights.format}, ${dtypes.join(' + ')}${r.weights.dtypeSource === 'config' ? ' (as config.json says)' : ''}: ${r.weights.files.join(', ')}`));
  const t = r.tokenizer;
  if (t === null) lines.push(row('tokenizer', 'none (no tokenizer.json)'));
  else if ('error' in t) lines.push(row('tokenizer', `cannot be loaded: ${t.error}`));
  else {
    lines.push(
      row('tokenizer', `${t.type}${t.class ? ` (${t.class})` : ''}, vocab ${t.vocabSize}, padding ${t.paddingSide}, truncation ${t.truncationSide}${t.modelMaxLength !== null ? `, max length ${t.modelMaxLength}` : ''}`),
      row('', `bos ${token(t.bos)}, eos ${token(t.eos)}, pad ${token(t.pad)}, unk ${token(t.unk)}`),
      row('', `special tokens: ${t.specialTokens.map((st) => `${JSON.stringify(st.token)} (${st.id})`).join(', ') || 'none'}`),
    );
  }
  lines.push(row('files', r.files.map((f) => `${f.name} (${bytesText(f.bytes)})`).join(', ')));
  return lines;
}
