/**
 * Stage `demonstrations`: what IRL learns from. Curated prompts RLHF never trained on (the curate
 * test split) are split by prompt into IRL train / validation / test, and the expert (rlhf's
 * model.json) and the baseline (the base model) each continue every prompt k times with seeded
 * sampling. Each continuation is stored with its token ids, text and ground-truth reward, of
 * prompt + continuation (−P_tox, the form RLHF's reward took) and of the continuation alone. Outputs demonstrations.jsonl (one line per prompt) and summary.json.
 */
import { join } from 'node:path';
import { CURATED_FILE, joinPromptContinuation } from '../../data/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkDemonstrations, describeContinuations, splitByPrompt, tokenizerFingerprint, type Continuation, type ContinuationStats, type PromptDemonstrations } from '../../irl/index.js';
import { generate } from '../../models/generation.js';
import { loadCausalLM } from '../../models/load.js';
import type { AnyCausalLM } from '../../models/registry.js';
import type { Rng } from '../../nn/index.js';
import type { Sampling, ServedModel } from '../../remote/index.js';
import type { ClassifierReward } from '../../reward/index.js';
import { Tokenizer } from '../../text/index.js';
import { PipelineError } from '../errors.js';
import { s, type Infer } from '../schema.js';
import { defineStage } from '../stage.js';
import { modelFolderOf } from './model-pointer.js';
import { continuationAlone, curatedRows, groundTruthReward } from './toxicity.js';

export const DEMONSTRATIONS_FILE = 'demonstrations.jsonl';
export const SUMMARY_FILE = 'summary.json';

export const demonstrationsSchema = s.object({
  max_prompts: s.integer({ min: 3, default: 200, description: 'prompts from the curate test split (never seen by RLHF), in a seeded order' }),
  samples_per_prompt: s.integer({ min: 1, default: 2, description: 'continuations per prompt from each model (k)' }),
  test_samples_per_prompt: s.nullable(s.integer({ min: 1 }), {
    default: null,
    description: 'continuations per test prompt from each model, drawn from their own streams: more held-out texts to judge recovered rewards on cost sampling and scoring, not training; null: samples_per_prompt',
  }),
  validation_fraction: s.number({ min: 0, max: 0.9, exclusiveMin: true, default: 0.2 }),
  test_fraction: s.number({ min: 0, max: 0.9, exclusiveMin: true, default: 0.3 }),
  max_new_tokens: s.integer({ min: 1, default: 24 }),
  max_prompt_tokens: s.integer({ min: 1, default: 40, description: 'keep only the last this-many tokens of a prompt' }),
  temperature: s.number({ min: 0, exclusiveMin: true, default: 1 }),
  top_k: s.integer({ min: 0, default: 0 }),
  top_p: s.number({ min: 0, max: 1, exclusiveMin: true, default: 1 }),
  greedy: s.boolean({ default: false, description: 'take the most likely token each step instead of sampling (all k continuations alike): for checks, not for IRL' }),
  batch_size: s.integer({ min: 1, default: 16 }),
});

export type DemonstrationSettings = Infer<typeof demonstrationsSchema>;
type Settings = DemonstrationSettings;

/** A stored line: one prompt's demonstrations and the IRL split it belongs to. */
export interface DemonstrationLine extends PromptDemonstrations {
  id: string;
  split: 'train' | 'validation' | 'test';
}

export interface Policy {
  model: AnyCausalLM;
  tokenizer: Tokenizer;
}

/** A causal LM folder as a policy to sample from, in eval mode. */
export function loadPolicy(folder: string): Policy {
  const model = loadCausalLM(folder).model;
  model.eval();
  return { model, tokenizer: Tokenizer.fromFolder(folder) };
}

/** How to sample: the demonstrations' settings, or any with the same names. */
export type SamplingSettings = Pick<Settings, 'samples_per_prompt' | 'batch_size' | 'max_new_tokens' | 'temperature' | 'top_k' | 'top_p'> & { greedy?: boolean };

/** The same settings as a served model takes them. */
export const servedSampling = (settings: SamplingSettings): Sampling => ({
  samples: settings.samples_per_prompt, maxNewTokens: settings.max_new_tokens, greedy: settings.greedy ?? false, temperature: settings.temperature, topK: settings.top_k, topP: settings.top_p,
});

/** k sampled continuations of each prompt (ids, the eos included when sampled; texts), generated in batches. */
export function sampleContinuations(policy: Policy, promptIds: readonly number[][], settings: SamplingSettings, rng: Rng, signal: AbortSignal): { ids: number[]; text: string }[][] {
  const k = settings.samples_per_prompt;
  const jobs = promptIds.flatMap((ids) => new Array<number[]>(k).fill(ids));
  const out: { ids: number[]; text: string }[] = [];
  for (let start = 0; start < jobs.length; start += settings.batch_size) {
    signal.throwIfAborted();
    const result = generate(policy.model, jobs.slice(start, start + settings.batch_size), {
      maxNewTokens: settings.max_new_tokens, ...(settings.greedy ? {} : { doSample: true, temperature: settings.temperature, topK: settings.top_k, topP: settings.top_p, rng }),
    });
    out.push(...result.newTokens.map((ids) => ({ ids, text: policy.tokenizer.decode(ids, { skipSpecialTokens: true }) })));
  }
  return promptIds.map((_, p) => out.slice(p * k, (p + 1) * k));
}

/** demonstrations/summary.json (README: IRL and evaluation); a type, not an interface, so that it is a StageSummary. */
export type DemonstrationsSummary = {
  prompts: number;
  samplesPerPrompt: number;
  testSamplesPerPrompt: number;
  /** Prompts per split. */
  splits: { train: number; validation: number; test: number };
  continuations: { expert: ContinuationStats; baseline: ContinuationStats };
  tokenizers: { expert: string; baseline: string };
  served?: { expert: ServedModel['provenance'] };
};

/** What demonstrate needs: the two policies, the prompts in the order to split them, and how to judge (optional). */
export interface DemonstrationJob {
  /** The expert: a causal-LM folder, or a model on a server (which must tokenise as the baseline does). */
  expert: { folder: string } | { served: ServedModel };
  baselineFolder: string;
  prompts: readonly { id: string; prompt: string }[];
  settings: DemonstrationSettings;
  rng: Rng;
  /** Seeds the split by prompt. */
  seed: number;
  signal?: AbortSignal;
  /** The ground truth, −P_tox of prompt + continuation; absent: continuations are not judged. */
  reward?: ClassifierReward;
}

/**
 * Samples both policies on every prompt, judges the continuations, and splits by prompt. The
 * checks that need no sampling (same tokenizer, enough prompts for the splits) come first.
 */
export async function demonstrate(job: DemonstrationJob): Promise<{ lines: DemonstrationLine[]; summary: DemonstrationsSummary }> {
  const { settings, prompts: rows } = job;
  const baseline = loadPolicy(job.baselineFolder);
  const expert = 'folder' in job.expert ? loadPolicy(job.expert.folder) : null;
  // A served expert's token ids are read with the baseline's tokenizer; provenance counts the texts it decodes differently.
  const tokenizers = { expert: tokenizerFingerprint(expert?.tokenizer ?? baseline.tokenizer), baseline: tokenizerFingerprint(baseline.tokenizer) };
  checkDemonstrations({ tokenizers, prompts: [] });
  const fractions = { validation: settings.validation_fraction, test: settings.test_fraction };
  // Split once, by prompt index: the test prompts get their own number of continuations, and lines go out by split.
  const split = splitByPrompt(rows.map((_, p) => p), fractions, job.seed);
  const testSamples = settings.test_samples_per_prompt ?? settings.samples_per_prompt;
  const promptIds = rows.map((row) => baseline.tokenizer.encode(row.prompt).slice(-settings.max_prompt_tokens));
  const signal = job.signal ?? new AbortController().signal;
  const sampleBoth = async (indices: readonly number[], samplesPerPrompt: number, stream: string) => {
    if (indices.length === 0) return { expert: [], baseline: [] };
    const ids = indices.map((p) => promptIds[p]!);
    const sampling = { ...settings, samples_per_prompt: samplesPerPrompt };
    return {
      expert: expert !== null
        ? sampleContinuations(expert, ids, sampling, job.rng.fork(`expert ${stream}`), signal)
        : await (job.expert as { served: ServedModel }).served.sample(ids, servedSampling(sampling), `${job.seed}/expert ${stream}`, signal),
      baseline: sampleContinuations(baseline, ids, sampling, job.rng.fork(`baseline ${stream}`), signal),
    };
  };
  // The test prompts are sampled from their own streams, so the test texts stay the same whatever the
  // other splits are sampled with: an ablation of samples_per_prompt is judged on the same texts.
  const fitting = [...split.train, ...split.validation];
  const [others, tests] = [await sampleBoth(fitting, settings.samples_per_prompt, 'sampling'), await sampleBoth(split.test, testSamples, 'test sampling')];
  const byPrompt = (side: 'expert' | 'baseline') => {
    const out: { ids: number[]; text: string }[][] = [];
    fitting.forEach((p, i) => (out[p] = others[side][i]!));
    split.test.forEach((p, i) => (out[p] = tests[side][i]!));
    return out;
  };
  const samples = { expert: byPrompt('expert'), baseline: byPrompt('baseline') };
  const judged = (prompt: string, list: { ids: number[]; text: string }[]): Continuation[] => {
    if (!job.reward) return list;
    const scores = job.reward.score([...list.map((c) => joinPromptContinuation(prompt, c.text)), ...list.map((c) => continuationAlone(c.text))]).scores;
    return list.map((c, i) => ({ ...c, groundTruth: scores[i]!, groundTruthContinuation: scores[list.length + i]! }));
  };
  const prompts = rows.map((row, p) => ({ id: row.id, prompt: row.prompt, promptIds: promptIds[p]!, expert: judged(row.prompt, samples.expert[p]!), baseline: judged(row.prompt, samples.baseline[p]!) }));
  checkDemonstrations({ tokenizers, prompts });
  const lines = (['train', 'validation', 'test'] as const).flatMap((name) => split[name].map((p) => ({ split: name, ...prompts[p]! })));
  const served = 'served' in job.expert ? { expert: job.expert.served.provenance } : undefined;
  const continuations = { expert: describeContinuations(prompts.flatMap((p) => p.expert)), baseline: describeContinuations(prompts.flatMap((p) => p.baseline)) };
  const summary = { prompts: prompts.length, samplesPerPrompt: settings.samples_per_prompt, testSamplesPerPrompt: testSamples, splits: { train: split.train.length, validation: split.validation.length, test: split.test.length }, continuations, tokenizers, ...(served ? { served } : {}) };
  return { lines, summary };
}

export const demonstrationsStage = defineStage({
  name: 'demonstrations',
  configKey: 'demonstrations',
  configSchema: demonstrationsSchema,
  dependsOn: ['base-model', 'ground-truth', 'curate', 'rlhf'],
  // 2: the continuation alone is judged too. 3: the summary describes each side's continuations; test_samples_per_prompt.
  // 4: the test prompts sampled from their own streams.
  version: '4',
  description: 'expert and baseline continuations of prompts RLHF never saw, split by prompt for IRL',
  inputs: (ctx) => [join(ctx.stageDir('curate'), CURATED_FILE)],
  async run(ctx) {
    const settings = ctx.config;
    // The curate test split: prompts the RLHF run did not train on, so IRL never sees its training data.
    const unseen = curatedRows(ctx.stageDir('curate'), 'test');
    const rows = ctx.rng.fork('prompts').shuffle(unseen).slice(0, settings.max_prompts);
    if (rows.length < 3) throw new PipelineError(`demonstrations: the curate test split has ${rows.length} prompts; IRL needs at least 3 (train, validation, test); raise curate.test_fraction`);
    const { lines, summary } = await demonstrate({
      expert: { folder: modelFolderOf(ctx.stageDir('rlhf')) },
      baselineFolder: modelFolderOf(ctx.stageDir('base-model')),
      prompts: rows.map((row) => ({ id: row.id, prompt: row.prompt ?? row.text })),
      settings, rng: ctx.rng, seed: ctx.runConfig.seed, signal: ctx.signal, reward: groundTruthReward(ctx).reward,
    });
    writeFileAtomic(join(ctx.dir, DEMONSTRATIONS_FILE), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    writeFileAtomic(join(ctx.dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    const { splits } = summary;
    ctx.log.info(`demonstrations: ${rows.length} prompts × ${settings.samples_per_prompt} continuations per model (${summary.testSamplesPerPrompt} for test prompts); IRL train ${splits.train}, validation ${splits.validation}, test ${splits.test} prompts`);
    const { expert, baseline } = summary.continuations;
    ctx.log.info(`demonstrations: the expert's continuations average ${expert.meanTokens.toFixed(1)} tokens, the baseline's ${baseline.meanTokens.toFixed(1)}`);
    return summary;
  },
});
