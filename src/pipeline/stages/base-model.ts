/**
 * Stage `base-model`: the policy's starting point. In the demo, a tiny GPT-NeoX pretrained from
 * scratch with trainCausalLM on the world's corpus (mostly clean, with abusive passages) and the
 * book's other prose, so that some continuations of some prompts turn abusive; saved as a Hugging
 * Face folder with the world's tokenizer. Its loss is measured on the world's held-out corpus
 * (passages of held-out sentences, none of which it trains on) and written to summary.json.
 * Training checkpoints go to ctx.checkpointDir, so a killed run resumes mid-training.
 *
 * With `source` set (a hub id such as EleutherAI/pythia-70m, or a local folder), nothing is
 * trained: the stage resolves the model (downloading it into the hub cache if needed) and points
 * to it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { resolveModelDetails } from '../../io/hub.js';
import { parseConfig, readConfig, type GptNeoxConfig } from '../../io/config.js';
import { GPTNeoXForCausalLM } from '../../models/gpt-neox.js';
import { saveModel } from '../../models/save.js';
import { initWeights } from '../../nn/index.js';
import { Tokenizer } from '../../text/index.js';
import { trainCausalLM } from '../../train/index.js';
import { PipelineError } from '../errors.js';
import { s } from '../schema.js';
import { defineStage } from '../stage.js';
import { readJsonLines } from '../../io/json-lines.js';
import { trainingReporter } from '../metrics.js';
import { writeModelPointer } from './model-pointer.js';
import { TOKENIZER_DIR, WORLD_FILES } from './world.js';

export const MODEL_DIR = 'model';
export const SUMMARY_FILE = 'summary.json';

export const baseModelSchema = s.object({
  source: s.nullable(s.string({ nonEmpty: true }), { default: null, description: 'a hub id or local folder to use instead of training one (e.g. EleutherAI/pythia-70m)' }),
  hidden_size: s.integer({ min: 8, default: 64 }),
  num_layers: s.integer({ min: 1, default: 2 }),
  num_heads: s.integer({ min: 1, default: 4 }),
  intermediate_size: s.integer({ min: 8, default: 256 }),
  rotary_pct: s.number({ min: 0, max: 1, default: 0.25 }),
  block_size: s.integer({ min: 8, default: 64, description: 'tokens per training example (and max_position_embeddings)' }),
  batch_size: s.integer({ min: 1, default: 16 }),
  max_steps: s.integer({ min: 1, default: 150 }),
  learning_rate: s.number({ min: 0, exclusiveMin: true, default: 5e-3 }),
  warmup_steps: s.integer({ min: 0, default: 15 }),
  schedule: s.enum(['cosine', 'linear', 'constant'] as const, { default: 'cosine', description: 'learning-rate decay after the warm-up' }),
  weight_decay: s.number({ min: 0, default: 0.01 }),
  eval_every: s.integer({ min: 0, default: 0, description: 'also measure the held-out loss every this many steps (0: only at the end)' }),
  checkpoint_every: s.integer({ min: 0, default: 50, description: 'save a resumable checkpoint every this many steps (0: only when stopped)' }),
});

function isLocal(source: string): boolean {
  return existsSync(source) || source.startsWith('.') || source.startsWith('/');
}

export const baseModelStage = defineStage({
  name: 'base-model',
  configKey: 'base_model',
  configSchema: baseModelSchema,
  dependsOn: ['world'],
  version: '2',
  description: 'pretrain a tiny GPT-NeoX on the world (or point to a given model)',
  inputs: (ctx) => {
    const source = ctx.config.source;
    if (source !== null) return isLocal(source) ? [source] : [];
    return [WORLD_FILES.corpus, WORLD_FILES.prose, WORLD_FILES.heldOutCorpus, TOKENIZER_DIR].map((file) => join(ctx.stageDir('world'), file));
  },
  async run(ctx) {
    const config = ctx.config;
    if (config.source !== null) {
      const resolved = await resolveModelDetails(config.source);
      const modelConfig = readConfig(resolved.folder);
      writeModelPointer(ctx.dir, { path: resolved.folder, source: config.source, architecture: modelConfig.architectures[0] });
      ctx.log.info(`base model: ${config.source} (${resolved.source}: ${resolved.folder})`);
      return { source: config.source, folder: resolved.folder, architecture: modelConfig.architectures[0] ?? null };
    }
    const worldDir = ctx.stageDir('world');
    if (!existsSync(join(worldDir, WORLD_FILES.corpus))) {
      throw new PipelineError("base-model: there is no demo world to pretrain on (world.kind is 'none'); set base_model.source to a model, or world.kind to 'demo'");
    }
    const tokenizerDir = join(worldDir, TOKENIZER_DIR);
    const tokenizer = Tokenizer.fromFolder(tokenizerDir);
    const eos = tokenizer.eosTokenId;
    if (eos === undefined) throw new PipelineError(`base-model: the tokenizer in ${tokenizerDir} has no eos token`);
    const modelConfig = parseConfig({
      model_type: 'gpt_neox',
      architectures: ['GPTNeoXForCausalLM'],
      vocab_size: tokenizer.vocabSize,
      hidden_size: config.hidden_size,
      num_hidden_layers: config.num_layers,
      num_attention_heads: config.num_heads,
      intermediate_size: config.intermediate_size,
      rotary_pct: config.rotary_pct,
      max_position_embeddings: config.block_size,
      use_parallel_residual: true,
      tie_word_embeddings: false,
      bos_token_id: eos,
      eos_token_id: eos,
      initializer_range: 0.02,
    }) as GptNeoxConfig;
    const model = new GPTNeoXForCausalLM(modelConfig);
    initWeights(model, ctx.rng.fork('init'), { std: modelConfig.initializerRange });
    const readDocuments = (file: string) => readJsonLines<{ text: string }>(join(worldDir, file)).map((row) => tokenizer.encode(row.text, { addSpecialTokens: false }));
    const documents = [...readDocuments(WORLD_FILES.corpus), ...readDocuments(WORLD_FILES.prose)];
    ctx.log.info(`pretraining a ${config.num_layers}-layer GPT-NeoX (d=${config.hidden_size}, ${model.parameterCount()} parameters) on ${documents.reduce((n, d) => n + d.length, 0)} tokens for ${config.max_steps} steps${ctx.resumed ? ' (resuming from a checkpoint)' : ''}`);
    const result = trainCausalLM({
      model,
      documents,
      eosTokenId: eos,
      blockSize: config.block_size,
      batchSize: config.batch_size,
      maxSteps: config.max_steps,
      learningRate: config.learning_rate,
      warmupSteps: Math.min(config.warmup_steps, config.max_steps),
      schedule: config.schedule,
      weightDecay: config.weight_decay,
      evalDocuments: readDocuments(WORLD_FILES.heldOutCorpus),
      evalEvery: config.eval_every,
      checkpointDir: ctx.checkpointDir,
      checkpointEvery: config.checkpoint_every,
      rng: ctx.rng.fork('train'),
      signal: ctx.signal,
      onMetrics: trainingReporter(ctx, 'pretraining', Math.max(1, Math.round(config.max_steps / 5))),
      onResume: (step) => {
        if (step > 0) ctx.log.info(`resuming pretraining after step ${step}`);
        ctx.metrics.discardAfter(step);
      },
    });
    saveModel(model, modelConfig, join(ctx.dir, MODEL_DIR), { tokenizerFrom: tokenizerDir });
    writeModelPointer(ctx.dir, { path: MODEL_DIR, source: 'trained', architecture: 'GPTNeoXForCausalLM' });
    const summary = {
      source: 'trained',
      parameters: model.parameterCount(),
      steps: result.steps,
      tokensSeen: result.tokensSeen,
      trainLoss: result.loss,
      heldOutLoss: result.evalLoss ?? null,
      // Every position of every held-out block is predicted once.
      heldOutTokens: result.evalExamples * config.block_size,
      resumedFromStep: result.resumedFromStep,
    };
    writeFileAtomic(join(ctx.dir, SUMMARY_FILE), JSON.stringify(summary, null, 2) + '\n');
    ctx.log.info(`held-out loss ${summary.heldOutLoss?.toFixed(3)} nats/token on ${summary.heldOutTokens} tokens of held-out passages (last training loss ${result.loss.toFixed(3)})`);
    return summary;
  },
});
