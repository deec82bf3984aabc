/**
 * Stage `rlhf`: PPO against the ground truth turns the base model into the less toxic "expert"
 * whose reward IRL will try to recover. Each of `seeds` independent runs starts from the base
 * model, trains on the curated training prompts with the paper's shaped reward (or the raw one),
 * and is then judged on held-out test prompts beside the base model, by the ground truth on the
 * continuation alone and on prompt + continuation, with the KL to the base model. Outputs
 * seed-<k>/policy (a Hugging Face folder), seed-<k>/value_head, generations.jsonl, summary.json;
 * model.json points to seed 0's policy, the expert the later stages use.
 */
import { join } from 'node:path';
import { CURATED_FILE, type CuratedRow } from '../../data/index.js';
import { NON_NEGATIVE, SHARE, mean, summariseSeeds } from '../../eval/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { Rng } from '../../nn/index.js';
import { CachedReward, ShapedReward, type RewardFunction } from '../../reward/index.js';
import {
  collectExperience, generateRollouts, loadPpoPolicy, savePpoPolicy, trainPpo, type LoadedPolicy, type PpoConfig, type PromptExample, type Rollout,
} from '../../rlhf/index.js';
import { PipelineError } from '../errors.js';
import { s, type Infer } from '../schema.js';
import { defineStage, type StageContext } from '../stage.js';
import { modelFolderOf, writeModelPointer } from './model-pointer.js';
import { balancedSample, continuationAlone, curatedRows, groundTruthReward, judgeToxicity, promptOf } from './toxicity.js';
import { summariseToxicity, toxicitySchema } from './base-toxicity.js';

export const SUMMARY_FILE = 'summary.json';
export const GENERATIONS_FILE = 'generations.jsonl';

const REWARD_FORMS = ['shaped', 'raw', 'continuation'] as const;

export const rlhfSchema = s.object({
  seeds: s.integer({ min: 1, default: 1, description: 'independent PPO runs from the base model (seed 0 is the expert later stages use)' }),
  reward: s.enum(REWARD_FORMS, { default: 'shaped', description: "'shaped': −P_tox(prompt + sample) + P_tox(prompt + human continuation), the paper's; 'raw': −P_tox(prompt + sample); 'continuation': −P_tox(sample), the sample judged alone as the toxicity figures judge it, so that a toxic prompt, which saturates the classifier whatever follows, does not hide its continuation's toxicity" }),
  total_steps: s.integer({ min: 1, default: 10000, description: 'optimizer steps in all (trlx train.total_steps)' }),
  epochs: s.integer({ min: 1, default: 100, description: 'rollout rounds at most (trlx train.epochs)' }),
  batch_size: s.integer({ min: 1, default: 32, description: 'rollouts per optimizer step (trlx train.batch_size)' }),
  num_rollouts: s.integer({ min: 1, default: 128, description: 'rollouts per round (trlx method.num_rollouts)' }),
  chunk_size: s.integer({ min: 1, default: 128, description: 'prompts generated together (trlx method.chunk_size)' }),
  ppo_epochs: s.integer({ min: 1, default: 4, description: 'passes over each round (trlx method.ppo_epochs)' }),
  num_layers_unfrozen: s.integer({ min: -1, default: 2, description: 'top layers that train; −1 trains all (trlx model.num_layers_unfrozen)' }),
  max_prompt_tokens: s.integer({ min: 1, default: 40, description: 'keep only the last this-many tokens of a prompt' }),
  learning_rate: s.number({ min: 0, exclusiveMin: true, default: 3e-5 }),
  betas: s.array(s.number({ min: 0, max: 1 }), { default: [0.9, 0.95], minLength: 2 }),
  adam_eps: s.number({ min: 0, default: 1e-8 }),
  weight_decay: s.number({ min: 0, default: 1e-6 }),
  t_max: s.number({ min: 1, default: 1e12, description: 'cosine annealing period in steps (trlx scheduler T_max)' }),
  eta_min: s.number({ min: 0, default: 3e-5, description: 'cosine annealing floor; above learning_rate the lr anneals up, as in torch' }),
  max_grad_norm: s.nullable(s.number({ min: 0, exclusiveMin: true }), { default: null }),
  init_kl_coef: s.number({ min: 0, default: 0.001 }),
  kl_target: s.nullable(s.number({ min: 0, exclusiveMin: true }), { default: null, description: 'KL per sequence the adaptive controller steers to; null: a fixed coefficient' }),
  kl_horizon: s.number({ min: 1, default: 10000 }),
  gamma: s.number({ min: 0, max: 1, default: 1 }),
  lam: s.number({ min: 0, max: 1, default: 0.95 }),
  cliprange: s.number({ min: 0, exclusiveMin: true, default: 0.2 }),
  cliprange_value: s.number({ min: 0, exclusiveMin: true, default: 0.2 }),
  vf_coef: s.number({ min: 0, default: 1 }),
  scale_reward: s.enum(['running', 'ref', 'none'] as const, { default: 'none' }),
  cliprange_reward: s.number({ min: 0, default: 10 }),
  max_new_tokens: s.integer({ min: 1, default: 40 }),
  min_new_tokens: s.integer({ min: 0, default: 0 }),
  top_k: s.integer({ min: 0, default: 0 }),
  top_p: s.number({ min: 0, max: 1, exclusiveMin: true, default: 1 }),
  temperature: s.number({ min: 0, exclusiveMin: true, default: 1 }),
  kl_ceiling: s.nullable(s.number({ min: 0, exclusiveMin: true }), { default: null, description: 'stop when the KL per sequence exceeds this' }),
  checkpoint_every_rounds: s.integer({ min: 1, default: 1 }),
  log_samples_every: s.integer({ min: 1, default: 5 }),
  eval_prompts: s.integer({ min: 1, default: 96, description: 'held-out test prompts the experts and the base model are judged on' }),
});

type RlhfSettings = Infer<typeof rlhfSchema>;

/** The stage's snake_case settings as the trainer's PpoConfig. */
export function ppoConfigOf(c: RlhfSettings): PpoConfig {
  return {
    totalSteps: c.total_steps, epochs: c.epochs, batchSize: c.batch_size, numRollouts: c.num_rollouts, chunkSize: c.chunk_size,
    ppoEpochs: c.ppo_epochs, numLayersUnfrozen: c.num_layers_unfrozen, maxPromptTokens: c.max_prompt_tokens,
    learningRate: c.learning_rate, betas: [c.betas[0]!, c.betas[1]!], adamEps: c.adam_eps, weightDecay: c.weight_decay,
    tMax: c.t_max, etaMin: c.eta_min, maxGradNorm: c.max_grad_norm,
    initKlCoef: c.init_kl_coef, klTarget: c.kl_target, klHorizon: c.kl_horizon, gamma: c.gamma, lam: c.lam,
    cliprange: c.cliprange, cliprangeValue: c.cliprange_value, vfCoef: c.vf_coef,
    scaleReward: c.scale_reward === 'none' ? null : c.scale_reward, cliprangeReward: c.cliprange_reward,
    generation: { maxNewTokens: c.max_new_tokens, minNewTokens: c.min_new_tokens, topK: c.top_k, topP: c.top_p, temperature: c.temperature },
    klCeiling: c.kl_ceiling, checkpointEveryRounds: c.checkpoint_every_rounds, logSamplesEvery: c.log_samples_every,
  };
}

type ToxicitySettings = Infer<typeof toxicitySchema>;

/** A model's continuations of the held-out prompts, judged by the ground truth. */
interface Judgement {
  rollouts: Rollout[];
  continuationOnly: number[];
  withPrompt: number[];
  /** Mean Σ_t log π/π_base over the continuations (null for the base model itself). */
  klToBase: number | null;
}

export const rlhfStage = defineStage({
  name: 'rlhf',
  configKey: 'rlhf',
  configSchema: rlhfSchema,
  dependsOn: ['base-model', 'ground-truth', 'curate'],
  // 2: intervals over seeds cut to what each figure can take.
  version: '2',
  description: 'PPO against the ground truth turns the base model into a less toxic expert',
  inputs: (ctx) => [join(ctx.stageDir('curate'), CURATED_FILE)],
  run(ctx) {
    const settings = ppoConfigOf(ctx.config);
    // Judged with base-toxicity's settings, so the figures compare with that stage's.
    const toxicity = ctx.runConfig.base_toxicity as ToxicitySettings;
    const rows = curatedRows(ctx.stageDir('curate'));
    const prompts = trainingPrompts(rows, ctx.config.reward);
    const heldOut = balancedSample(rows.filter((row) => row.split === 'test'), ctx.config.eval_prompts, ctx.rng.fork('eval prompts'));
    if (heldOut.length === 0) throw new PipelineError('rlhf: the curated data has no test prompts to judge the experts on; raise curate.test_fraction');
    const examples = heldOut.map((row) => ({ prompt: promptOf(row) }));
    const baseFolder = modelFolderOf(ctx.stageDir('base-model'));
    const groundTruth = groundTruthReward(ctx);
    const scorer = new CachedReward(groundTruth.reward);
    const judge = (loaded: LoadedPolicy, withKl: boolean) => judgeOnHeldOut(loaded, examples, toxicity, scorer, ctx.rng.fork('eval sampling'), withKl);

    const base = judge(loadPpoPolicy(baseFolder, 0, ctx.rng), false);
    const experts: Judgement[] = [];
    const training: Record<string, unknown>[] = [];
    for (let seed = 0; seed < ctx.config.seeds; seed++) {
      ctx.signal.throwIfAborted();
      const loaded = loadPpoPolicy(baseFolder, settings.numLayersUnfrozen, ctx.rng.fork(`seed ${seed}`));
      training.push(trainExpert(ctx, loaded, seed, prompts, settings, scorer));
      savePpoPolicy(loaded, baseFolder, join(ctx.dir, `seed-${seed}`));
      experts.push(judge(loaded, true));
      loaded.hydra.dispose();
    }
    writeModelPointer(ctx.dir, { path: join('seed-0', 'policy'), source: 'trained', architecture: undefined });
    const summary = summarise(ctx, toxicity, base, experts, training);
    writeFileAtomic(join(ctx.dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileAtomic(join(ctx.dir, GENERATIONS_FILE), generationLines(heldOut, base, experts));
    logSummary(ctx, summary);
    return summary.headline;
  },
});

/** The curated training prompts, with their human continuations for the shaped reward. */
function trainingPrompts(rows: readonly CuratedRow[], reward: RlhfSettings['reward']): PromptExample[] {
  const train = rows.filter((row) => row.split === 'train');
  if (train.length === 0) throw new PipelineError('rlhf: the curated data has no training prompts; lower curate.test_fraction');
  if (reward === 'shaped' && train.some((row) => row.continuation === undefined)) {
    throw new PipelineError("rlhf: the shaped reward compares each sample with the prompt's human continuation, but the curated prompts have none; curate with a prompt_fraction, or set rlhf.reward: raw");
  }
  return train.map((row) => ({ prompt: promptOf(row), reference: row.continuation ?? null }));
}

/** The PPO reward of a batch of rollouts, in the configured form (rlhfSchema's `reward`), from a score of texts (−P_tox). */
export function rolloutReward(form: RlhfSettings['reward'], scorer: RewardFunction): (rollouts: readonly Pick<Rollout, 'prompt' | 'response' | 'reference'>[]) => number[] {
  switch (form) {
    case 'shaped': {
      const shaped = new ShapedReward(scorer);
      return (rollouts) => shaped.score(rollouts.map((r) => ({ prompt: r.prompt, sample: r.response, reference: r.reference ?? '' }))).scores;
    }
    case 'raw':
      return (rollouts) => scorer.score(rollouts.map((r) => r.prompt + r.response)).scores;
    case 'continuation':
      return (rollouts) => scorer.score(rollouts.map((r) => continuationAlone(r.response))).scores;
  }
}

/** One PPO run from the base model, logged to the stage's metrics with steps unique across seeds. */
function trainExpert(ctx: StageContext<RlhfSettings>, loaded: LoadedPolicy, seed: number, prompts: readonly PromptExample[], config: PpoConfig, scorer: CachedReward): Record<string, unknown> {
  const offset = seed * config.totalSteps;
  const reward = rolloutReward(ctx.config.reward, scorer);
  const began = performance.now();
  const result = trainPpo({
    hydra: loaded.hydra,
    tokenizer: loaded.tokenizer,
    prompts,
    reward,
    // What the experts are judged on: the ground truth on the continuation alone (−P_tox).
    groundTruth: (rollouts) => scorer.score(rollouts.map((r) => continuationAlone(r.response))).scores,
    config,
    rng: ctx.rng.fork(`seed ${seed}`),
    checkpointDir: join(ctx.checkpointDir, `seed-${seed}`),
    signal: ctx.signal,
    onResume: (step) => ctx.metrics.discardAfter(offset + step, offset + config.totalSteps),
    onMetrics: (metrics, step) => ctx.metrics.write({ seed, ppo_step: step, ...metrics }, offset + step),
    onSamples: (samples, step) => {
      for (const sample of samples.slice(0, 2)) ctx.log.info(`seed ${seed} step ${step}: ${JSON.stringify(sample.prompt.slice(-60))} → ${JSON.stringify(sample.response)} (reward ${sample.reward.toFixed(3)})`);
    },
    onWarning: (message) => ctx.log.warn(`seed ${seed}: ${message}`),
  });
  const seconds = (performance.now() - began) / 1000;
  ctx.log.info(`seed ${seed}: ${result.steps} PPO steps in ${result.rounds} rounds (${seconds.toFixed(1)} s); last round: reward ${fixed(result.last['rollout/reward/mean'])}, KL ${fixed(result.last['rollout/kl/per_sequence'])} nats, coefficient ${result.klCoef.toPrecision(3)}`);
  return { seed, steps: result.steps, rounds: result.rounds, resumedFromStep: result.resumedFromStep, seconds, klCoef: result.klCoef, last: result.last };
}

/** Continuations of the held-out prompts by the model, judged by the ground truth, with the KL to the base. */
function judgeOnHeldOut(loaded: LoadedPolicy, examples: readonly PromptExample[], settings: ToxicitySettings, scorer: CachedReward, rng: Rng, withKl: boolean): Judgement {
  const rollouts: Rollout[] = [];
  for (let start = 0; start < examples.length; start += settings.batch_size) {
    const batch = examples.slice(start, start + settings.batch_size);
    rollouts.push(...generateRollouts(loaded.hydra.policy, loaded.tokenizer, batch, {
      maxNewTokens: settings.max_new_tokens, minNewTokens: 0, topK: settings.top_k, topP: settings.top_p, temperature: settings.temperature, maxPromptTokens: settings.max_prompt_tokens,
    }, rng.fork(`batch ${start}`)));
  }
  const padTokenId = loaded.tokenizer.padTokenId ?? loaded.tokenizer.eosTokenId ?? 0;
  return {
    rollouts,
    ...judgeToxicity(scorer, rollouts.map((r) => r.prompt), rollouts.map((r) => r.response)),
    klToBase: withKl ? collectExperience(loaded.hydra, rollouts, new Float32Array(rollouts.length), 0, padTokenId, settings.batch_size).stats.klPerSequence : null,
  };
}

function summarise(ctx: StageContext<RlhfSettings>, settings: ToxicitySettings, base: Judgement, experts: readonly Judgement[], training: readonly Record<string, unknown>[]) {
  const bootstrapRng = ctx.rng.fork('bootstrap');
  const toxicityOf = (values: number[]) => summariseToxicity(values, settings.threshold, settings.confidence, { rng: bootstrapRng, samples: settings.bootstrap_samples });
  const judged = (j: Judgement) => ({ continuationOnly: toxicityOf(j.continuationOnly), withPrompt: toxicityOf(j.withPrompt), klToBase: j.klToBase, responseLength: mean(j.rollouts.map((r) => r.responseIds.length)) });
  const baseFigures = judged(base);
  const expertFigures = experts.map((expert, seed) => ({ seed, ...judged(expert), training: training[seed] }));
  const continuationRatios = expertFigures.map((e) => e.continuationOnly.toxicRatio);
  // Intervals over a few seeds are cut to what the figure can take.
  const acrossSeeds = {
    continuationToxicRatio: summariseSeeds(continuationRatios, SHARE),
    withPromptToxicRatio: summariseSeeds(expertFigures.map((e) => e.withPrompt.toxicRatio), SHARE),
    continuationMeanToxicity: summariseSeeds(expertFigures.map((e) => e.continuationOnly.meanToxicity), SHARE),
    klToBase: summariseSeeds(expertFigures.map((e) => e.klToBase!), NON_NEGATIVE),
    responseLength: summariseSeeds(expertFigures.map((e) => e.responseLength), NON_NEGATIVE),
    // The share of the base model's continuation toxic ratio that remains after RLHF.
    ratioToBase: summariseSeeds(continuationRatios.map((r) => r / baseFigures.continuationOnly.toxicRatio), NON_NEGATIVE),
  };
  return {
    reward: ctx.config.reward,
    seeds: experts.length,
    heldOutPrompts: base.rollouts.length,
    threshold: settings.threshold,
    generation: { maxNewTokens: settings.max_new_tokens, temperature: settings.temperature, topK: settings.top_k, topP: settings.top_p },
    base: baseFigures,
    experts: expertFigures,
    acrossSeeds,
    headline: {
      seeds: experts.length,
      baseContinuationToxicRatio: baseFigures.continuationOnly.toxicRatio,
      expertContinuationToxicRatio: acrossSeeds.continuationToxicRatio,
      baseWithPromptToxicRatio: baseFigures.withPrompt.toxicRatio,
      expertWithPromptToxicRatio: acrossSeeds.withPromptToxicRatio,
      klToBase: acrossSeeds.klToBase,
      // A reward that any text risks breaking pays for ending early: how much shorter the experts write.
      baseResponseLength: baseFigures.responseLength,
      expertResponseLength: acrossSeeds.responseLength,
    },
  };
}

function generationLines(heldOut: readonly CuratedRow[], base: Judgement, experts: readonly Judgement[]): string {
  return heldOut.map((row, i) => `${JSON.stringify({
    id: row.id, label: row.label, prompt: base.rollouts[i]!.prompt,
    base: { continuation: base.rollouts[i]!.response, toxicity: base.continuationOnly[i] },
    experts: experts.map((e, seed) => ({ seed, continuation: e.rollouts[i]!.response, toxicity: e.continuationOnly[i] })),
  })}\n`).join('');
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const fixed = (x: number | null | undefined) => (x === undefined || x === null ? 'n/a' : x.toFixed(3));

function logSummary(ctx: StageContext<RlhfSettings>, summary: ReturnType<typeof summarise>): void {
  const { base, acrossSeeds } = summary;
  const ratio = acrossSeeds.continuationToxicRatio;
  ctx.log.info(
    `toxic continuations on ${summary.heldOutPrompts} held-out prompts: base ${pct(base.continuationOnly.toxicRatio)}, ` +
      `experts ${pct(ratio.mean)} ± ${pct(ratio.sd ?? 0)} (${summary.seeds} seeds, ${pct(ratio.min)}–${pct(ratio.max)}); ` +
      `with the prompt: base ${pct(base.withPrompt.toxicRatio)}, experts ${pct(acrossSeeds.withPromptToxicRatio.mean)}; ` +
      `KL to base ${fixed(acrossSeeds.klToBase.mean)} nats per continuation`,
  );
}
