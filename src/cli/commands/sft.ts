/**
 * `irlens sft MODEL --data FILE --out DIR`: supervised fine-tuning of a causal LM on texts (or,
 * with --from-scratch CONFIG, pretraining a fresh model of that config with MODEL's tokenizer),
 * saved as a Hugging Face folder at DIR.
 *
 * Resuming: checkpoints go to `DIR.checkpoints/` every --checkpoint-every steps. Rerunning the same
 * command after a kill (or Ctrl-C) continues from the last one, bit for bit; the folder is removed
 * once DIR is saved. DIR/sft.json records what was trained, so rerunning a finished command does
 * nothing, and changing the data or a flag trains again. This is the pipeline's cache and resume,
 * reused: fingerprint-keyed checkpoints (pipeline/checkpoints.ts) and a record written last that
 * lists the outputs (pipeline/marker.ts), so sft decides "up to date" as a stage does.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { emit, integer, modelFolder, number, withJson, withRevision } from '../options.js';
import { loopProgress, type LoopProgress } from '../progress.js';
import { readTexts } from '../texts.js';
import type { AnyCausalLM, CausalLMArchitecture } from '../../models/registry.js';
import type { StageOutput } from '../../pipeline/marker.js';
import type { Tokenizer } from '../../text/index.js';
import type { TrainResult } from '../../train/index.js';

interface SftFlags {
  data: string;
  out: string;
  fromScratch?: string;
  lr?: number;
  steps?: number;
  epochs?: number;
  batchSize: number;
  blockSize: number;
  seed: number;
  warmupSteps: number;
  weightDecay: number;
  schedule: 'cosine' | 'linear' | 'constant';
  maxGradNorm: number;
  evalFraction: number;
  evalEvery: number;
  checkpointEvery: number;
  json?: boolean;
  revision?: string;
}

export const SFT_RECORD = 'sft.json';

export interface SftResult {
  out: string;
  /** 'trained': this call trained (perhaps resuming); 'up-to-date': DIR already held this training's result. */
  status: 'trained' | 'up-to-date';
  fingerprint: string;
  steps: number;
  epochs: number;
  loss: number;
  evalLoss?: number;
  tokensSeen: number;
  trainBlocks: number;
  evalBlocks: number;
  resumedFromStep: number | null;
  seconds: number;
}

export function registerSft(program: Command): void {
  const command = program
    .command('sft')
    .argument('<model>', 'the causal LM to fine-tune (folder or hub id); with --from-scratch, only its tokenizer is used')
    .description('Fine-tune a causal LM on texts (or pretrain one from scratch) and save it as a Hugging Face folder; rerun to resume.')
    .requiredOption('-d, --data <file>', 'training texts: one per line, or JSONL with a "text" field (e.g. curated.jsonl)')
    .requiredOption('-o, --out <dir>', 'where the trained model is saved (checkpoints go to <dir>.checkpoints while training)')
    .option('--from-scratch <config>', "pretrain a fresh model of this config.json (or a folder holding one) instead of fine-tuning MODEL's weights")
    .option('--lr <rate>', 'peak learning rate (default 5e-5, or 1e-3 from scratch)', number({ min: 0, exclusiveMin: true }))
    .option('--steps <n>', 'optimizer steps (default: --epochs passes over the data)', integer(1))
    .option('--epochs <n>', 'passes over the data when --steps is not given (default 1)', number({ min: 0, exclusiveMin: true }))
    .option('--batch-size <n>', 'blocks per step', integer(1), 8)
    .option('--block-size <n>', 'tokens per block', integer(2), 128)
    .option('--seed <n>', 'seed of initialisation, the held-out split and shuffling', integer(0), 0)
    .option('--warmup-steps <n>', 'linear warm-up steps', integer(0), 0)
    .option('--weight-decay <x>', 'AdamW weight decay', number({ min: 0 }), 0.01)
    .addOption(new Option('--schedule <name>', 'learning-rate decay after warm-up').choices(['cosine', 'linear', 'constant']).default('cosine'))
    .option('--max-grad-norm <x>', 'clip the gradient norm to this (0: no clipping)', number({ min: 0 }), 1)
    .option('--eval-fraction <f>', 'share of the texts held out to measure the loss (0: none)', number({ min: 0, max: 0.9 }), 0.1)
    .option('--eval-every <n>', 'evaluate every n steps (0: only at the end)', integer(0), 0)
    .option('--checkpoint-every <n>', 'save a resumable checkpoint every n steps', integer(1), 50)
    .action((model: string, flags: SftFlags) => sftCommand(model, flags));
  withRevision(command);
  withJson(command);
}

async function sftCommand(spec: string, flags: SftFlags): Promise<void> {
  const started = Date.now();
  const out = resolve(flags.out);
  const checkpointDir = join(dirname(out), `${basename(out)}.checkpoints`);
  if (flags.steps !== undefined && flags.epochs !== undefined) throw new CliError('give --steps or --epochs, not both');
  const folder = await modelFolder(spec, flags.revision);
  const texts = readTexts(flags.data);
  if (texts.length === 0) throw new CliError(`${flags.data} holds no texts to train on`);

  const { openCheckpoints, removeCheckpoints } = await import('../../pipeline/checkpoints.js');
  const { listOutputs, missingOutput } = await import('../../pipeline/marker.js');
  const { saveModel } = await import('../../models/save.js');
  const { Tokenizer } = await import('../../text/index.js');
  const { writeFileAtomic } = await import('../../io/atomic.js');

  const scratchFile = flags.fromScratch === undefined
    ? undefined
    : existsSync(flags.fromScratch) && statSync(flags.fromScratch).isDirectory() ? join(flags.fromScratch, 'config.json') : flags.fromScratch;
  if (scratchFile !== undefined && !existsSync(scratchFile)) throw new CliError(`--from-scratch ${flags.fromScratch}: no such config.json; pass a config.json file or a folder holding one`);
  const training = trainingSettings(flags, scratchFile !== undefined);
  const fingerprint = await sftFingerprint(folder, scratchFile, flags.data, training);

  // Up to date as a pipeline stage is: the record has this fingerprint and every output it lists is there.
  const record = join(out, SFT_RECORD);
  const previous = readSftRecord(record);
  if (previous?.fingerprint === fingerprint && missingOutput(out, previous.outputs ?? []) === undefined) {
    const { outputs: _outputs, ...recorded } = previous;
    const result: SftResult = { ...recorded, out, status: 'up-to-date', seconds: (Date.now() - started) / 1000 };
    emit(flags.json, result, () => [`${out} already holds this training's result (${previous.steps} steps, loss ${previous.loss.toFixed(4)}); nothing to do`]);
    return;
  }

  const tokenizer = Tokenizer.fromFolder(folder);
  const { model, config } = scratchFile ? await freshModel(scratchFile, tokenizer.vocabSize, flags.seed) : await loadBaseModel(folder);
  // Checkpoints are resumed from only if they were made under this fingerprint (same data, model and flags).
  openCheckpoints(checkpointDir, fingerprint);

  const { result, resumedFrom } = await train(model, tokenizer, texts, training, flags, checkpointDir);

  saveModel(model, config, out, { tokenizerFrom: folder });
  const summary: SftResult = {
    out,
    status: 'trained',
    fingerprint,
    steps: result.steps,
    epochs: result.epochs,
    loss: result.loss,
    ...(result.evalLoss !== undefined ? { evalLoss: result.evalLoss } : {}),
    tokensSeen: result.tokensSeen,
    trainBlocks: result.trainExamples,
    evalBlocks: result.evalExamples,
    resumedFromStep: result.resumedFromStep ?? resumedFrom,
    seconds: (Date.now() - started) / 1000,
  };
  // The record is written last, listing the outputs, as a stage's marker is: a kill before it leaves a rerun to redo the save.
  const recorded: SftRecord = { ...summary, training, data: resolve(flags.data), base: scratchFile ?? folder, outputs: listOutputs(out, SFT_RECORD) };
  writeFileAtomic(record, `${JSON.stringify(recorded, null, 2)}\n`);
  removeCheckpoints(checkpointDir);
  emit(flags.json, summary, () => [
    `${scratchFile ? 'pretrained' : 'fine-tuned'} ${summary.steps} steps${summary.resumedFromStep !== null ? ` (resumed after step ${summary.resumedFromStep})` : ''} in ${summary.seconds.toFixed(1)} s: ` +
      `loss ${summary.loss.toFixed(4)}${summary.evalLoss !== undefined ? `, held-out loss ${summary.evalLoss.toFixed(4)}` : ''}, ${summary.tokensSeen} tokens`,
    `saved ${out}`,
  ]);
}

/** The settings sft.json records and the fingerprint covers (their order is part of the fingerprint). */
function trainingSettings(flags: SftFlags, fromScratch: boolean) {
  return {
    learningRate: flags.lr ?? (fromScratch ? 1e-3 : 5e-5), maxSteps: flags.steps, epochs: flags.epochs, batchSize: flags.batchSize, blockSize: flags.blockSize, seed: flags.seed,
    warmupSteps: flags.warmupSteps, weightDecay: flags.weightDecay, schedule: flags.schedule, maxGradNorm: flags.maxGradNorm,
    evalFraction: flags.evalFraction, evalEvery: flags.evalEvery,
  };
}

type TrainingSettings = ReturnType<typeof trainingSettings>;

/** What the result depends on: the base model's config and weights (or the scratch config), the tokenizer, the data and the settings. */
async function sftFingerprint(folder: string, scratchFile: string | undefined, data: string, training: TrainingSettings): Promise<string> {
  const { hashFile, hashJson } = await import('../../pipeline/hash.js');
  return hashJson({
    base: scratchFile ? { scratch: hashFile(scratchFile) } : { model: hashFile(join(folder, 'config.json')), weights: weightsHash(folder, hashFile) },
    tokenizer: hashFile(join(folder, 'tokenizer.json')),
    data: hashFile(data),
    training,
  });
}

/** Trains with progress on stderr, continuing from checkpointDir's last checkpoint when there is one. */
async function train(model: AnyCausalLM, tokenizer: Tokenizer, texts: readonly string[], training: TrainingSettings, flags: SftFlags, checkpointDir: string): Promise<{ result: TrainResult; resumedFrom: number | null }> {
  const { trainCausalLM } = await import('../../train/index.js');
  let progress: LoopProgress | undefined;
  let resumedFrom: number | null = null;
  try {
    const result = trainCausalLM({
      model,
      tokenizer,
      texts,
      ...training,
      maxGradNorm: flags.maxGradNorm === 0 ? null : flags.maxGradNorm,
      checkpointDir,
      checkpointEvery: flags.checkpointEvery,
      onResume: (step) => {
        if (step === 0) return;
        resumedFrom = step;
        process.stderr.write(`resuming from the checkpoint after step ${step} in ${checkpointDir}\n`);
      },
      onProgress: (p) => {
        progress ??= loopProgress('sft', p.totalSteps, { unit: 'steps' });
        progress.update(p.step, `loss ${p.loss.toFixed(4)}`);
      },
      onMetrics: (m) => {
        if (m.evalLoss !== undefined) progress?.log(`step ${m.step}: held-out loss ${m.evalLoss.toFixed(4)}`);
      },
    });
    return { result, resumedFrom };
  } finally {
    progress?.stop();
  }
}

/** DIR/sft.json: the result, what was trained on, and the outputs (absent in records of older irlens versions). */
interface SftRecord extends SftResult {
  training: Record<string, unknown>;
  data: string;
  base: string;
  outputs?: StageOutput[];
}

/** The record of an earlier training in DIR; undefined when there is none or it cannot be read (then it trains again). */
function readSftRecord(file: string): SftRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SftRecord;
  } catch {
    return undefined;
  }
}

/** MODEL's weights, refused unless it is a causal LM. */
async function loadBaseModel(folder: string) {
  const { loadCausalLM } = await import('../../models/load.js');
  return loadCausalLM(folder, 'sft trains causal LMs');
}

/** A freshly initialised causal LM of the config in `file`, whose vocabulary must hold the tokenizer's. */
async function freshModel(file: string, tokenizerVocabSize: number, seed: number) {
  const { readConfig, parseConfig } = await import('../../io/config.js');
  const { ConfigError } = await import('../../io/errors.js');
  const { ARCHITECTURES } = await import('../../models/registry.js');
  const { Rng, initWeights } = await import('../../nn/index.js');
  const described = readConfig(file);
  const named = described.architectures[0];
  const architecture = ARCHITECTURES.find((a): a is CausalLMArchitecture => a.modelType === described.modelType && a.kind === 'causal-lm' && (named === undefined || a.name === named));
  if (!architecture) throw new ConfigError(file, `does not describe a causal LM irlens implements (model_type ${described.modelType}${named ? `, ${named}` : ''}); use a GPT-NeoX or Llama causal-LM config`);
  if (described.vocabSize < tokenizerVocabSize) {
    throw new ConfigError(file, `vocab_size ${described.vocabSize} is smaller than the tokenizer's ${tokenizerVocabSize} tokens; raise vocab_size to at least ${tokenizerVocabSize}`);
  }
  const config = parseConfig({ ...JSON.parse(readFileSync(file, 'utf8')), architectures: [architecture.name] }, file);
  const model = architecture.create(config);
  initWeights(model, new Rng(seed), { std: config.initializerRange });
  return { model, config };
}

/** The weight files' hashes (large files are hashed once per run; fine for the checkpoints irlens trains). */
function weightsHash(folder: string, hashFile: (path: string) => string): string {
  for (const name of ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json']) {
    if (existsSync(join(folder, name))) return `${name}:${hashFile(join(folder, name))}`;
  }
  return 'none';
}
