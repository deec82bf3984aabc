/**
 * Stage `demonstrations`: what IRL learns from. Curated prompts RLHF never trained on (the curate
 * test split) are split by prompt into IRL train / validation / test, and the expert (rlhf's
 * model.json) and the baseline (the base model) each continue every prompt k times with seeded
 * sampling. Each continuation is stored with its token ids, text and ground-truth reward
 * (−P_tox of prompt + continuation). Outputs demonstrations.jsonl (one line per prompt) and summary.json.
 */
import { join } from 'node:path';
import { CURATED_FILE, joinPromptContinuation, type CuratedRow } from '../../data/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkDemonstrations, splitByPrompt, tokenizerFingerprint, type Continuation, type PromptDemonstrations } from '../../irl/index.js';
import { generate, type GenerationModel } from '../../models/generation.js';
import { loadModel } from '../../models/load.js';
import type { Module, Rng } from '../../nn/index.js';
import { Tokenizer } from '../../text/index.js';
import { PipelineError } from '../errors.js';
import { s, type Infer } from '../schema.js';
import { defineStage } from '../stage.js';
import { modelFolderOf, readJsonl } from './common.js';
import { groundTruthReward } from './toxicity.js';

export const DEMONSTRATIONS_FILE = 'demonstrations.jsonl';
export const SUMMARY_FILE = 'summary.json';

export const demonstrationsSchema = s.object({
  max_prompts: s.integer({ min: 3, default: 200, description: 'prompts from the curate test split (never seen by RLHF), in a seeded order' }),
  samples_per_prompt: s.integer({ min: 1, default: 2, description: 'continuations per prompt from each model (k)' }),
  validation_fraction: s.number({ min: 0, max: 0.9, exclusiveMin: true, default: 0.2 }),
  test_fraction: s.number({ min: 0, max: 0.9, exclusiveMin: true, default: 0.3 }),
  max_new_tokens: s.integer({ min: 1, default: 24 }),
  max_prompt_tokens: s.integer({ min: 1, default: 40, description: 'keep only the last this-many tokens of a prompt' }),
  temperature: s.number({ min: 0, exclusiveMin: true, default: 1 }),
  top_k: s.integer({ min: 0, default: 0 }),
  top_p: s.number({ min: 0, max: 1, exclusiveMin: true, default: 1 }),
  batch_size: s.integer({ min: 1, default: 16 }),
});

type Settings = Infer<typeof demonstrationsSchema>;

/** A stored line: one prompt's demonstrations and the IRL split it belongs to. */
export interface DemonstrationLine extends PromptDemonstrations {
  id: string;
  split: 'train' | 'validation' | 'test';
}

interface Policy {
  model: Module & GenerationModel;
  tokenizer: Tokenizer;
}

function loadPolicy(folder: string): Policy {
  const model = loadModel(folder).model as Module & GenerationModel;
  model.eval();
  return { model, tokenizer: Tokenizer.fromFolder(folder) };
}

/** k sampled continuations of each prompt (ids, texts), generated in batches. */
function sampleContinuations(policy: Policy, promptIds: readonly number[][], settings: Settings, rng: Rng, signal: AbortSignal): { ids: number[]; text: string }[][] {
  const k = settings.samples_per_prompt;
  const jobs = promptIds.flatMap((ids) => new Array<number[]>(k).fill(ids));
  const out: { ids: number[]; text: string }[] = [];
  for (let start = 0; start < jobs.length; start += settings.batch_size) {
    signal.throwIfAborted();
    const result = generate(policy.model, jobs.slice(start, start + settings.batch_size), {
      maxNewTokens: settings.max_new_tokens, doSample: true, temperature: settings.temperature, topK: settings.top_k, topP: settings.top_p, rng,
    });
    out.push(...result.newTokens.map((ids) => ({ ids, text: policy.tokenizer.decode(ids, { skipSpecialTokens: true }) })));
  }
  return promptIds.map((_, p) => out.slice(p * k, (p + 1) * k));
}

export const demonstrationsStage = defineStage({
  name: 'demonstrations',
  configKey: 'demonstrations',
  configSchema: demonstrationsSchema,
  dependsOn: ['base-model', 'ground-truth', 'curate', 'rlhf'],
  version: '1',
  description: 'expert and baseline continuations of prompts RLHF never saw, split by prompt for IRL',
  inputs: (ctx) => [join(ctx.stageDir('curate'), CURATED_FILE)],
  run(ctx) {
    const settings = ctx.config;
    // The curate test split: prompts the RLHF run did not train on, so IRL never sees its training data.
    const unseen = readJsonl<CuratedRow>(join(ctx.stageDir('curate'), CURATED_FILE)).filter((row) => row.split === 'test');
    const rows = ctx.rng.fork('prompts').shuffle(unseen).slice(0, settings.max_prompts);
    if (rows.length < 3) throw new PipelineError(`demonstrations: the curate test split has ${rows.length} prompts; IRL needs at least 3 (train, validation, test); raise curate.test_fraction`);
    const expert = loadPolicy(modelFolderOf(ctx.stageDir('rlhf')));
    const baseline = loadPolicy(modelFolderOf(ctx.stageDir('base-model')));
    const tokenizers = { expert: tokenizerFingerprint(expert.tokenizer), baseline: tokenizerFingerprint(baseline.tokenizer) };
    const promptIds = rows.map((row) => baseline.tokenizer.encode(row.prompt ?? row.text).slice(-settings.max_prompt_tokens));
    const samples = {
      expert: sampleContinuations(expert, promptIds, settings, ctx.rng.fork('expert sampling'), ctx.signal),
      baseline: sampleContinuations(baseline, promptIds, settings, ctx.rng.fork('baseline sampling'), ctx.signal),
    };
    const { reward } = groundTruthReward(ctx);
    const judged = (prompt: string, list: { ids: number[]; text: string }[]): Continuation[] => {
      const scores = reward.score(list.map((c) => joinPromptContinuation(prompt, c.text))).scores;
      return list.map((c, i) => ({ ...c, groundTruth: scores[i]! }));
    };
    const prompts: (PromptDemonstrations & { id: string })[] = rows.map((row, p) => {
      const prompt = row.prompt ?? row.text;
      return { id: row.id, prompt, promptIds: promptIds[p]!, expert: judged(prompt, samples.expert[p]!), baseline: judged(prompt, samples.baseline[p]!) };
    });
    checkDemonstrations({ tokenizers, prompts });
    const split = splitByPrompt(prompts, { validation: settings.validation_fraction, test: settings.test_fraction }, ctx.runConfig.seed);
    const lines = (['train', 'validation', 'test'] as const).flatMap((name) => split[name].map((p) => `${JSON.stringify({ split: name, ...p })}\n`));
    writeFileAtomic(join(ctx.dir, DEMONSTRATIONS_FILE), lines.join(''));
    const summary = { prompts: prompts.length, samplesPerPrompt: settings.samples_per_prompt, splits: { train: split.train.length, validation: split.validation.length, test: split.test.length }, tokenizers };
    writeFileAtomic(join(ctx.dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    ctx.log.info(`demonstrations: ${prompts.length} prompts × ${settings.samples_per_prompt} continuations per model; IRL train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length} prompts`);
    return summary;
  },
});
