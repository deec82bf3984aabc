/**
 * Stage `irl`: recovers the expert's reward from the demonstrations, in several variants, every
 * one reported: reward models trained on (expert, baseline) pairs (the paper's and others), the
 * closed-form log-ratio β·log π_expert/π_base (no training, no seeds), that log-ratio distilled
 * into a reward model, and an untrained random head as the control. Model selection (the epoch)
 * uses the validation split only. Each seed's scores of the validation and test texts and, in the
 * demo world, of the held-out minimal pairs go to <variant>/seed-<k>/scores.jsonl for `evaluate`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WORLD_FILES, asContinuation, type WorldSentence } from '../../data/demo-world/index.js';
import { auroc, spearman, summariseSeeds } from '../../eval/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import {
  FrozenFeatures, IrlOptionsError, RewardModel, aggregateLogRatios, distilReward, logRatioTerms, rewardRows, rowTokenTargets, saveRewardModel, scaleLogRatios, tokenLogProbs, trainRewardSeeds,
  type FitResult, type LogRatioAggregate, type RegressionRows, type PromptContinuation, type TokenLogProbsOf, type RewardInput, type RewardRows,
} from '../../irl/index.js';
import type { AnyCausalLM as LanguageModel } from '../../models/registry.js';
import { loadCausalLM } from '../../models/load.js';
import type { Rng } from '../../nn/index.js';
import type { ServedModel } from '../../remote/index.js';
import { Tokenizer } from '../../text/index.js';
import { defineStage } from '../stage.js';
import { readJsonLines } from '../../io/json-lines.js';
import { modelFolderOf } from './model-pointer.js';
import { DEMONSTRATIONS_FILE, type DemonstrationLine } from './demonstrations.js';
import { logOddsNotToxic } from './toxicity.js';
import type { IrlRun, IrlSummary, IrlVariantSummary, ValidationFigures } from './irl-summary.js';
import { checkTargets, irlSchema, keepsBaseBackbone, logRatioAggregate, modeOf, rewardInputOf, type IrlSettings, type IrlVariant } from './irl-variants.js';

export { DEFAULT_VARIANTS, irlSchema, type IrlSettings, type IrlVariant } from './irl-variants.js';

export const SUMMARY_FILE = 'summary.json';
export const SCORES_FILE = 'scores.jsonl';

type Settings = IrlSettings;

/** Texts a variant is scored on: the reward model's input ids (as the variant reads them), the log-ratio's prompt/continuation split, and what evaluate needs to know of each. */
interface ScoreSet {
  /** 'validation', 'test' or 'pairs' (the minimal pairs). */
  name: string;
  rows: (input: RewardInput) => number[][];
  items: PromptContinuation[];
  meta: Record<string, unknown>[];
}

/** compute(key), computed the first time a key (an object: by identity) is asked for and kept. */
function memoised<K, V>(compute: (key: K) => V): (key: K) => V {
  const known = new Map<K, V>();
  return (key) => {
    if (!known.has(key)) known.set(key, compute(key));
    return known.get(key)!;
  };
}

/** One split's texts in rewardRows' order (per prompt: expert continuations, then baseline ones), as each reward input reads them. */
function demonstrationSet(name: 'train' | 'validation' | 'test', lines: readonly DemonstrationLine[]) {
  const chosen = lines.filter((line) => line.split === name);
  // One list per input, kept: feature caches know rows by identity.
  const rows = memoised((input: RewardInput): RewardRows => rewardRows(chosen, input));
  const texts = chosen.flatMap((line) => [...line.expert.map((c) => ({ line, c, fromExpert: true })), ...line.baseline.map((c) => ({ line, c, fromExpert: false }))]);
  return {
    name,
    rows,
    items: texts.map(({ line, c }) => ({ promptIds: line.promptIds, continuationIds: c.ids })),
    meta: texts.map(({ line, c, fromExpert }) => ({ prompt: line.id, fromExpert, groundTruth: c.groundTruth ?? null, groundTruthContinuation: c.groundTruthContinuation ?? null })),
  };
}

/**
 * The demo world's held-out sentences, each clean, abusive and in its benign look-alike shape (the
 * abusive word's slot filled by a harmless one), as continuations read from a BOS token; null
 * outside the demo world. A sentence is encoded as every continuation these rewards judge reads
 * (asContinuation): read as written, an interjection opening it would be a token ("Shit", not
 * " Shit") no reward has been trained or tested on.
 */
function minimalPairSet(worldDir: string, tokenizer: Tokenizer): ScoreSet | null {
  const file = join(worldDir, WORLD_FILES.sentences);
  if (!existsSync(file)) return null;
  const sentences = readJsonLines<WorldSentence>(file).filter((sentence) => sentence.split === 'test');
  const texts = sentences.flatMap((sentence) => (['clean', 'abusive', 'benign'] as const).map((form) => ({ sentence: sentence.id, form, ids: tokenizer.encode(asContinuation(sentence[form])) })));
  const bos = tokenizer.bosTokenId ?? tokenizer.eosTokenId ?? 0;
  const rows = texts.map((t) => t.ids);
  return { name: 'pairs', rows: () => rows, items: texts.map((t) => ({ promptIds: [bos], continuationIds: t.ids })), meta: texts.map(({ sentence, form }) => ({ sentence, form })) };
}

type LogRatioModels = { expert: LanguageModel | TokenLogProbsOf; base: LanguageModel; baseTokens: TokenLogProbsOf; beta: number; padId: number };

/** The base model's token log-probabilities of each item, read once and shared by every expert's log-ratio. */
function sharedBaseTokens(base: LanguageModel, padId: number): TokenLogProbsOf {
  const known = new Map<PromptContinuation, number[]>();
  return (items) => {
    const missing = items.filter((item) => !known.has(item));
    if (missing.length > 0) tokenLogProbs(base, missing, { padId }).forEach((values, i) => known.set(missing[i]!, values));
    return items.map((item) => known.get(item)!);
  };
}

/** `of` of the items with a continuation, and `empty` for the others. */
function ofNonEmpty<V>(items: readonly PromptContinuation[], of: (items: PromptContinuation[]) => V[], empty: V): V[] {
  const kept = items.flatMap((item, i) => (item.continuationIds.length > 0 ? [i] : []));
  const values = of(kept.map((i) => items[i]!));
  const out = new Array<V>(items.length).fill(empty);
  kept.forEach((i, k) => (out[i] = values[k]!));
  return out;
}

/** One expert's logRatioTerms of an item list ([] for an empty continuation). */
type TermsOf = (items: readonly PromptContinuation[]) => number[][];

/**
 * An expert's logRatioTerms, read from the two models once per item list: the closed form, the
 * token-min variant and the distillation targets are all made of them.
 */
const termsReader = (models: LogRatioModels): TermsOf => memoised((items) => ofNonEmpty(items, (kept) => logRatioTerms(models, kept), []));

/** β·log π_expert/π_base of each item, summed over its tokens or their minimum; an empty continuation's is 0 by definition. */
const logRatioScores = (terms: readonly number[][], beta: number, aggregate: LogRatioAggregate = 'sum'): number[] =>
  aggregateLogRatios(terms, beta, aggregate).map((score, i) => (terms[i]!.length === 0 ? 0 : score));

/** Each row's per-token targets for dense distillation: its continuation's terms β·log π_expert/π_base, its prompt's tokens 0 (rowTokenTargets). */
function logRatioTokenTargets(terms: TermsOf, beta: number, set: DemonstrationSet, input: RewardInput): number[][] {
  const perToken = scaleLogRatios(terms(set.items), beta);
  return set.rows(input).rows.map((row, i) => rowTokenTargets(row, set.items[i]!.continuationIds, perToken[i]!));
}

/** The served expert's token log-probabilities of every item a variant may ask about, asked once, then looked up. */
async function servedTokenLogProbs(served: ServedModel, items: readonly PromptContinuation[], signal?: AbortSignal): Promise<TokenLogProbsOf> {
  const key = (item: PromptContinuation) => `${item.promptIds.join(',')}|${item.continuationIds.join(',')}`;
  const unique = [...new Map(items.filter((item) => item.continuationIds.length > 0).map((item) => [key(item), item])).values()];
  const values = await served.tokenLogProbs(unique, signal);
  const known = new Map(unique.map((item, i) => [key(item), values[i]!]));
  return (asked) => asked.map((item) => {
    const found = known.get(key(item));
    if (found === undefined) throw new Error(`the served expert was not asked about item ${key(item)} beforehand`);
    return found;
  });
}

/** The expert when no variant reads it. */
const unneeded: TokenLogProbsOf = () => {
  throw new Error('the expert was asked for log-probabilities that no variant needs');
};

/**
 * The rlhf stage's experts after seed 0's (PPO seeds 1, 2, …), when it trained them; none when it
 * points at a model from elsewhere.
 */
function otherExpertsOf(rlhfDir: string, runConfig: Record<string, unknown>): string[] {
  const policy = (seed: number) => join(rlhfDir, `seed-${seed}`, 'policy');
  if (resolve(modelFolderOf(rlhfDir)) !== resolve(policy(0))) return [];
  const seeds = (runConfig.rlhf as { seeds?: number } | undefined)?.seeds ?? 1;
  return Array.from({ length: seeds - 1 }, (_, k) => policy(k + 1)).filter((folder) => existsSync(folder));
}

/** The log-ratio's β: the setting, or the coefficient the expert's PPO run ended with. */
function betaOf(settings: Settings, rlhfDir: string, runConfig: Record<string, unknown>): number {
  if (settings.beta !== null) return settings.beta;
  const file = join(rlhfDir, 'summary.json');
  const summary = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { experts?: { training?: { klCoef?: number } }[] }) : {};
  return summary.experts?.[0]?.training?.klCoef ?? ((runConfig.rlhf as { init_kl_coef?: number } | undefined)?.init_kl_coef ?? 1);
}

/** A reward model of a variant for one seed; every variant's seed k starts from the same head (so 'random' is their common start). */
const newRewardModel = (base: LanguageModel, v: IrlVariant, rng: Rng, seed: number) => RewardModel.fromCausalLM(base, { pooling: v.pooling, rng: rng.fork(`head seed ${seed}`) });

interface SeedModel {
  seed: number;
  model: RewardModel;
  fit: FitResult | null;
}

type DemonstrationSet = ReturnType<typeof demonstrationSet>;

interface TrainingData {
  train: DemonstrationSet;
  validation: DemonstrationSet;
  /** The log-ratio of the train and validation texts: the distillation targets. */
  targets: () => { train: number[]; validation: number[] };
  /** Per token of each train and validation row, as the input reads them: the dense distillation targets. */
  tokenTargets: (input: RewardInput) => { train: number[][]; validation: number[][] };
}

/** A split's rows, as the variant reads them, with the targets it fits: each text's log-ratio, or each token's term. */
function regressionRows(v: IrlVariant, input: RewardInput, data: TrainingData, split: 'train' | 'validation'): RegressionRows {
  const rows = data[split].rows(input).rows;
  return v.targets === 'token' ? { rows, tokenTargets: data.tokenTargets(input)[split] } : { rows, targets: data.targets()[split] };
}

/** Trains (or, for 'random', only draws) each seed's reward model of a variant, handing each to onSeed; probes read their features from `features`. */
function seedModels(settings: Settings, v: IrlVariant, base: LanguageModel, data: TrainingData, features: FrozenFeatures, rng: Rng, onSeed: (run: SeedModel) => void): void {
  const mode = modeOf(v);
  const learningRate = v.learning_rate ?? (mode.kind === 'probe' ? settings.probe_learning_rate : settings.learning_rate);
  const fit = { epochs: v.epochs ?? settings.epochs, batchSize: settings.batch_size, learningRate, weightDecay: settings.weight_decay };
  const input = rewardInputOf(v, settings);
  const newModel = (seed: number) => newRewardModel(base, v, rng, seed);
  if (v.kind === 'preference') {
    const objective = { name: v.objective, margin: v.margin, l2: v.l2, centring: v.centring };
    trainRewardSeeds(settings.seeds, newModel, { ...fit, objective, mode, features, train: data.train.rows(input), validation: data.validation.rows(input) }, (run) => onSeed({ seed: run.seed, model: run.model, fit: run.result }));
    return;
  }
  for (let seed = 0; seed < settings.seeds; seed++) {
    const model = newModel(seed);
    if (v.kind === 'random') {
      onSeed({ seed, model, fit: null });
      continue;
    }
    const result = distilReward(model, { ...fit, seed, mode, features, targets: v.targets, train: regressionRows(v, input, data, 'train'), validation: regressionRows(v, input, data, 'validation') });
    onSeed({ seed, model, fit: result });
  }
}

/** How a reward tells, on the validation texts, expert from baseline and agrees with the ground truth: what the log shows and reuse chooses by. */
function validationFigures(set: ScoreSet, scores: number[]): ValidationFigures {
  const judgedBy = (key: 'groundTruth' | 'groundTruthContinuation', figure: (g: number[], r: number[]) => number | null) => {
    const known = set.meta.flatMap((m, i) => (typeof m[key] === 'number' ? [i] : []));
    return known.length > 1 ? figure(known.map((i) => logOddsNotToxic(set.meta[i]![key] as number)), known.map((i) => scores[i]!)) : null;
  };
  return {
    // Expert texts as the positive ("non-toxic") side: P(a baseline text scores below an expert text).
    expertAuroc: auroc(set.meta.map((m) => (m.fromExpert ? 1 : -1)), scores),
    spearman: judgedBy('groundTruth', spearman),
    spearmanContinuation: judgedBy('groundTruthContinuation', spearman),
    auroc: judgedBy('groundTruth', auroc),
    // Free of the prompt's term c(x), which no reward learnt from same-prompt pairs can know: what reuse chooses by.
    aurocContinuation: judgedBy('groundTruthContinuation', auroc),
  };
}

const fixed = (x: number | null) => x?.toFixed(3) ?? 'n/a';

const scoreLines = (sets: readonly ScoreSet[], scores: Record<string, number[]>) =>
  sets.flatMap((set) => set.meta.map((meta, row) => `${JSON.stringify({ split: set.name, row, ...meta, score: scores[set.name]![row] })}\n`)).join('');

/** A run's folder, relative to the stage's (created): <variant>/seed-<k>, or <variant> for the unseeded log-ratio. */
function runFolder(stageDir: string, v: IrlVariant, seed: number | null): string {
  const folder = seed === null ? v.name : join(v.name, `seed-${seed}`);
  mkdirSync(join(stageDir, folder), { recursive: true });
  return folder;
}

/** What recoverRewards needs: the demonstrations, the two policies' folders, where to write, and how to report. */
export interface RecoveryJob {
  settings: Settings;
  lines: readonly DemonstrationLine[];
  /** The baseline (base) model: the reward models' backbone and the log-ratio's denominator. */
  baseFolder: string;
  /** The expert: a causal-LM folder, or a served model (asked for log-likelihoods only when a variant needs them). */
  expert: { folder: string } | { served: ServedModel };
  /**
   * Further experts trained as the first was (the rlhf stage's other PPO seeds): the log-ratio
   * variants are read from each too, so their spread is over experts. The demonstrations and the
   * distilled variants' targets stay the first expert's.
   */
  otherExperts?: readonly string[];
  beta: number;
  /** The demo world's folder, for the minimal pairs; null outside it. */
  worldDir: string | null;
  rng: Rng;
  outDir: string;
  signal?: AbortSignal;
  log(message: string): void;
  metrics?(values: Record<string, number>): void;
}

/** Trains and scores every variant of job.settings into job.outDir; returns the summary (what summary.json holds). */
export async function recoverRewards(job: RecoveryJob): Promise<IrlSummary> {
  const { settings, outDir } = job;
  const names = settings.variants.map((v) => v.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new IrlOptionsError(`two irl variants are named '${repeated}'; each names its output folder, so give them different names`);
  settings.variants.filter((v) => v.kind === 'log-ratio').forEach(logRatioAggregate);
  settings.variants.forEach(checkTargets);
  const base = loadCausalLM(job.baseFolder).model;
  const tokenizer = Tokenizer.fromFolder(job.baseFolder);
  const split = (name: 'train' | 'validation' | 'test') => demonstrationSet(name, job.lines);
  const [train, validation, test] = [split('train'), split('validation'), split('test')];
  const pairs = job.worldDir === null ? null : minimalPairSet(job.worldDir, tokenizer);
  const scored = (set: DemonstrationSet): ScoreSet => ({ ...set, rows: (input) => set.rows(input).rows });
  const sets: ScoreSet[] = [scored(validation), scored(test), ...(pairs ? [pairs] : [])];
  const needsExpert = settings.variants.some((v) => v.kind === 'log-ratio' || v.kind === 'distilled');
  const expert = 'folder' in job.expert
    ? loadCausalLM(job.expert.folder).model
    : needsExpert ? await servedTokenLogProbs(job.expert.served, [train, validation, ...sets].flatMap((set) => set.items), job.signal) : null;
  const padId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
  const models = { expert: expert ?? unneeded, base, baseTokens: sharedBaseTokens(base, padId), beta: job.beta, padId };
  const terms = termsReader(models);
  // The other experts' terms of every score set, read when a log-ratio variant first needs them; each model is then let go.
  let othersTerms: TermsOf[] | undefined;
  const otherExpertsTerms = () => (othersTerms ??= (job.otherExperts ?? []).map((folder) => {
    const other = loadCausalLM(folder).model;
    const read = termsReader({ ...models, expert: other });
    for (const set of sets) read(set.items);
    other.dispose();
    return read;
  }));
  let targets: { train: number[]; validation: number[] } | undefined;
  const data: TrainingData = {
    train, validation,
    targets: () => (targets ??= { train: logRatioScores(terms(train.items), job.beta), validation: logRatioScores(terms(validation.items), job.beta) }),
    tokenTargets: memoised((input) => ({ train: logRatioTokenTargets(terms, job.beta, train, input), validation: logRatioTokenTargets(terms, job.beta, validation, input) })),
  };
  // The base backbone's features, shared by the seeds and variants that keep it; a pooling's are let go after its last such variant.
  const features = new FrozenFeatures();
  const lastToKeep = new Map(settings.variants.filter(keepsBaseBackbone).map((v) => [v.pooling, v]));

  const variants = settings.variants.map((v) => {
    job.signal?.throwIfAborted();
    const began = performance.now();
    const runs: IrlRun[] = [];
    const record = (seed: number | null, scores: Record<string, number[]>, extra: Pick<IrlRun, 'reward' | 'bestEpoch' | 'validationLoss'>) => {
      const folder = runFolder(outDir, v, seed);
      writeFileAtomic(join(outDir, folder, SCORES_FILE), scoreLines(sets, scores));
      const figures = validationFigures(sets[0]!, scores.validation!);
      runs.push({ seed, scores: join(folder, SCORES_FILE), ...extra, validation: figures });
      job.metrics?.({
        seed: seed ?? -1, validation_expert_auroc: figures.expertAuroc ?? NaN, validation_spearman: figures.spearman ?? NaN,
        validation_spearman_continuation: figures.spearmanContinuation ?? NaN, validation_auroc_continuation: figures.aurocContinuation ?? NaN,
      });
      job.log(
        `${v.name}${seed === null ? '' : ` seed ${seed}`}: validation expert-vs-baseline AUROC ${fixed(figures.expertAuroc)}; with the ground truth, AUROC ${fixed(figures.auroc ?? null)}` +
          ` and Spearman ${fixed(figures.spearman)} (continuation alone ${fixed(figures.aurocContinuation ?? null)} and ${fixed(figures.spearmanContinuation)})`,
      );
    };
    if (v.kind === 'log-ratio') {
      const scoresWith = (read: TermsOf) => Object.fromEntries(sets.map((set) => [set.name, logRatioScores(read(set.items), job.beta, logRatioAggregate(v))]));
      const others = otherExpertsTerms();
      record(others.length === 0 ? null : 0, scoresWith(terms), { reward: null });
      others.forEach((read, i) => record(i + 1, scoresWith(read), { reward: null }));
    } else {
      const scoreRows = (model: RewardModel, rows: number[][]) => (keepsBaseBackbone(v) ? features.scoreRows(model, rows) : model.scoreRows(rows));
      const input = rewardInputOf(v, settings);
      seedModels(settings, v, base, data, features, job.rng, (run) => {
        const folder = join(runFolder(outDir, v, run.seed), 'reward');
        saveRewardModel(run.model, join(outDir, folder), { tokenizerFrom: job.baseFolder, rewardInput: input });
        const scores = Object.fromEntries(sets.map((set) => [set.name, scoreRows(run.model, set.rows(input))]));
        run.model.classifier.dispose();
        record(run.seed, scores, { reward: folder, bestEpoch: run.fit?.bestEpoch ?? null, validationLoss: run.fit?.bestValidationLoss ?? null });
      });
      if (lastToKeep.get(v.pooling) === v) features.release(v.pooling);
    }
    return describeVariant(v, settings, runs, (performance.now() - began) / 1000);
  });
  return {
    seeds: settings.seeds, rewardInput: settings.reward_input, beta: job.beta,
    pairs: { train: train.rows(settings.reward_input).pairs.length, validation: validation.rows(settings.reward_input).pairs.length, test: test.rows(settings.reward_input).pairs.length },
    texts: Object.fromEntries(sets.map((set) => [set.name, set.rows(settings.reward_input).length])),
    variants,
  };
}

export const irlStage = defineStage({
  name: 'irl',
  configKey: 'irl',
  configSchema: irlSchema,
  dependsOn: ['world', 'base-model', 'rlhf', 'demonstrations'],
  // 3: scores.jsonl carries the continuation's own ground truth. 4: log-ratios summed in float64 per token; closedForm.
  // 5: the log-ratio variants read from every expert (spreadOver). 6: the minimal pairs' benign look-alikes scored too.
  // 7: validation AUROC for the ground truth's toxic texts. 8: a variant may read its own reward input.
  // 9: the minimal pairs read as continuations, after a space.
  version: '9',
  description: "recover the expert's reward from the demonstrations: every variant, per seed",
  inputs: (ctx) => [join(ctx.stageDir('demonstrations'), DEMONSTRATIONS_FILE)],
  async run(ctx) {
    const summary = await recoverRewards({
      settings: ctx.config,
      lines: readJsonLines<DemonstrationLine>(join(ctx.stageDir('demonstrations'), DEMONSTRATIONS_FILE)),
      baseFolder: modelFolderOf(ctx.stageDir('base-model')),
      expert: { folder: modelFolderOf(ctx.stageDir('rlhf')) },
      otherExperts: otherExpertsOf(ctx.stageDir('rlhf'), ctx.runConfig),
      beta: betaOf(ctx.config, ctx.stageDir('rlhf'), ctx.runConfig),
      worldDir: ctx.stageDir('world'),
      rng: ctx.rng,
      outDir: ctx.dir,
      signal: ctx.signal,
      log: (message) => ctx.log.info(message),
      metrics: (values) => ctx.metrics.write(values),
    });
    writeFileAtomic(join(ctx.dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    return { seeds: summary.seeds, beta: summary.beta, variants: summary.variants.map((v) => ({ name: v.name, validationExpertAuroc: v.validationExpertAuroc.mean })) };
  },
});

function logRatioNote(aggregate: LogRatioAggregate, experts: number): string {
  const form = aggregate === 'sum'
    ? 'closed form from the two policies'
    : "the most negative per-token term of the closed form (a heuristic for a local signal such as one toxic word; not the closed form itself)";
  return experts > 1
    ? `${form}: no training; one run per expert (run k: PPO seed k's expert, on the texts of seed 0's demonstrations), so its spread is over experts, not reward-model seeds`
    : `${form}: no training and no seeds, so one run and no spread over seeds`;
}

function describeVariant(v: IrlVariant, settings: Settings, runs: IrlRun[], seconds: number): IrlVariantSummary {
  const trained = v.kind === 'preference' || v.kind === 'distilled';
  return {
    ...v,
    rewardInput: v.kind === 'log-ratio' ? null : rewardInputOf(v, settings),
    trained,
    seeded: v.kind !== 'log-ratio',
    spreadOver: runs.length === 1 ? null : v.kind === 'log-ratio' ? 'experts' : 'reward-model seeds',
    // The distilled variants' teacher: their targets are the summed log-ratio.
    closedForm: v.kind === 'log-ratio' && logRatioAggregate(v) === 'sum',
    note: v.kind === 'log-ratio' ? logRatioNote(logRatioAggregate(v), runs.length) : v.kind === 'random' ? 'untrained score head on the base backbone: the control every trained variant must beat' : null,
    seconds,
    validationExpertAuroc: summariseSeeds(runs.map((r) => r.validation.expertAuroc).filter((x): x is number => x !== null)),
    runs,
  };
}
