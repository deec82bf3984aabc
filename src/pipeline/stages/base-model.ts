/**
 * Stage `base-model`: the policy's starting point. In the demo, a tiny GPT-NeoX pretrained from
 * scratch on the world's corpus (mostly clean, with abusive passages) with trainCausalLM, so that
 * some continuations of some prompts turn abusive; saved as a Hugging Face folder with the world's
 * tokenizer. Training checkpoints go to ctx.checkpointDir, so a killed run resumes mid-training.
 *
 * With `source` set (a hub id such as EleutherAI/pythia-70m, or a local folder), nothing is
 * trained: the stage resolves the model (downloading it into the hub cache if needed) and points
 * to it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
import { readJsonl, trainingReporter, writeModelPointer } from './common.js';
import { TOKENIZER_DIR, WORLD_FILES } from './world.js';

export const MODEL_DIR = 'model';

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
  weight_decay: s.number({ min: 0, default: 0.01 }),
  eval_fraction: s.number({ min: 0, max: 0.5, default: 0.03, description: 'share of corpus passages held out to measure the loss' }),
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
  version: '1',
  description: 'pretrain a tiny GPT-NeoX on the world (or point to a given model)',
  inputs: (ctx) => {
    const source = ctx.config.source;
    if (source !== null) return isLocal(source) ? [source] : [];
    return [join(ctx.stageDir('world'), WORLD_FILES.corpus), join(ctx.stageDir('world'), TOKENIZER_DIR)];
  },
  async run(ctx) {
    const config = ctx.config;
    if (config.source !== null) {
      const resolved = await resolveModelDetails(config.source);
      const modelConfig = readConfig(join(resolved.folder, 'config.json'));
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
    const texts = readJsonl<{ text: string }>(join(worldDir, WORLD_FILES.corpus)).map((row) => row.text);
    const documents = texts.map((text) => tokenizer.encode(text, { addSpecialTokens: false }));
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
      weightDecay: config.weight_decay,
      evalFraction: config.eval_fraction,
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
    return {
      source: 'trained',
      parameters: model.parameterCount(),
      steps: result.steps,
      tokensSeen: result.tokensSeen,
      trainLoss: result.loss,
      heldOutLoss: result.evalLoss ?? null,
      resumedFromStep: result.resumedFromStep,
    };
  },
});
