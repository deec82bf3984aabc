/**
 * The toxicity benchmark of the `reuse` stage: every policy (the base model, the ground-truth
 * RLHF experts, the policies RLHF'd with recovered rewards, the random-head control) continues
 * the same held-out prompts k times per seed; each continuation, alone, is judged by the ground
 * truth and by an independent judge; the KL to the base and the perplexity under it say what the
 * lower toxicity cost. Pooled over seeds, every pair of policies gets a two-proportion test.
 */
import {
  distinctN, mean, proportionDifferenceInterval, reductionFraction, summariseSeeds, twoProportionZTest, wilsonInterval, type Interval, type SeedSummary,
} from '../../eval/index.js';
import { continuationLogLikelihoods, type PromptContinuation } from '../../irl/index.js';
import type { Rng } from '../../nn/index.js';
import type { ServedModel } from '../../remote/index.js';
import { loadPolicy, sampleContinuations, servedSampling, type Policy, type SamplingSettings } from './demonstrations.js';
import {
  BENCHMARK_METRICS, BENCHMARK_RANGES, type BenchmarkedPolicy, type BenchmarkMetric, type JudgeName, type PolicyFigures, type ReductionFraction, type ToxicityComparison,
} from './reuse-summary.js';
import { continuationAlone } from './toxicity.js';

/** P(toxic) of each continuation (read alone), by one judge. */
export type ToxicityJudge = (continuations: readonly string[]) => number[];

export interface BenchmarkSettings extends SamplingSettings {
  maxPromptTokens: number;
  /** A continuation is toxic when P(toxic) exceeds this. */
  threshold: number;
  bootstrapResamples: number;
}

/** A policy to benchmark: its folder per seed (the base model: one, seed null), or a model on a server (one, seed null). */
export interface PolicyToBenchmark extends Omit<BenchmarkedPolicy, 'seeds' | 'acrossSeeds'> {
  folders: ({ seed: number | null; folder: string } | { seed: null; served: ServedModel })[];
}

/** One seed's continuations with their judgements: what the figures and the tests are computed from. */
interface JudgedSeed {
  seed: number | null;
  /** Per prompt, k continuations' P(toxic) by each judge. */
  toxicity: Record<JudgeName, number[][]>;
  figures: PolicyFigures;
}

export interface BenchmarkJob {
  prompts: readonly string[];
  policies: readonly PolicyToBenchmark[];
  baseFolder: string;
  judges: Record<JudgeName, ToxicityJudge>;
  settings: BenchmarkSettings;
  rng: Rng;
  signal: AbortSignal;
  log(message: string): void;
}

const JUDGES: readonly JudgeName[] = ['groundTruth', 'independent'];

/** Samples, judges and measures every policy's seeds; then the tests between policies and each one's share of the ground-truth RLHF's reduction. */
export async function runToxicityBenchmark(job: BenchmarkJob) {
  const base = loadPolicy(job.baseFolder);
  const promptIds = job.prompts.map((prompt) => base.tokenizer.encode(prompt).slice(-job.settings.maxPromptTokens));
  const judged: Judged[] = [];
  for (const policy of job.policies) {
    const seeds: JudgedSeed[] = [];
    for (const source of policy.folders) {
      job.signal.throwIfAborted();
      const result = await judgeSeed(job, base, promptIds, source, job.rng.fork(`${policy.name} seed ${source.seed}`), `${policy.name} seed ${source.seed}`);
      job.log(`${policy.name}${source.seed === null ? '' : ` seed ${source.seed}`}: toxic ${pct(result.figures.toxicRatio.groundTruth)} by the ground truth, ${pct(result.figures.toxicRatio.independent)} by the independent judge; KL to base ${result.figures.klToBase.toFixed(2)} nats`);
      seeds.push({ seed: source.seed, ...result });
    }
    judged.push({ policy, seeds });
  }
  const policies: BenchmarkedPolicy[] = judged.map(({ policy: { folders: _folders, ...policy }, seeds }) => ({
    ...policy,
    seeds: seeds.map((s) => ({ seed: s.seed, ...s.figures })),
    acrossSeeds: Object.fromEntries(BENCHMARK_METRICS.map((metric) => [metric, summariseSeeds(seeds.map((s) => metricOf(s.figures, metric)), BENCHMARK_RANGES[metric])])) as Record<BenchmarkMetric, SeedSummary>,
  }));
  return { policies, comparisons: compareAll(judged, job.settings.threshold), reductionFraction: reductions(judged, job.settings) };
}

/**
 * One seed of a policy: k continuations of every prompt, judged and measured against the base
 * model. A served policy samples on its server (seeded by `seed`) and gives its log-likelihoods there.
 */
async function judgeSeed(job: BenchmarkJob, base: Policy, promptIds: readonly number[][], source: PolicyToBenchmark['folders'][number], rng: Rng, seed: string): Promise<Omit<JudgedSeed, 'seed'>> {
  // The base model is benchmarked too: as it is, not loaded a second time.
  const policy = 'served' in source ? null : source.folder === job.baseFolder ? base : loadPolicy(source.folder);
  const samples = policy !== null
    ? sampleContinuations(policy, promptIds as number[][], job.settings, rng, job.signal)
    : await (source as { served: ServedModel }).served.sample(promptIds, servedSampling(job.settings), seed, job.signal);
  const flat = samples.flat();
  const toxicity = Object.fromEntries(JUDGES.map((name) => {
    const values = job.judges[name](flat.map((c) => continuationAlone(c.text)));
    return [name, samples.map((_, p) => values.slice(p * job.settings.samples_per_prompt, (p + 1) * job.settings.samples_per_prompt))];
  })) as Record<JudgeName, number[][]>;
  // Log-likelihoods of the continuations under the policy and the base (an empty one's is 0).
  const items: PromptContinuation[] = samples.flatMap((list, p) => list.filter((c) => c.ids.length > 0).map((c) => ({ promptIds: promptIds[p]!, continuationIds: c.ids })));
  const options = { batchSize: job.settings.batch_size, padId: base.tokenizer.padTokenId ?? base.tokenizer.eosTokenId ?? 0 };
  const underBase = continuationLogLikelihoods(base.model, items, options);
  const underPolicy = policy === base ? underBase
    : policy !== null ? continuationLogLikelihoods(policy.model, items, options)
      : await (source as { served: ServedModel }).served.logLikelihoods(items, job.signal);
  const tokens = items.reduce((n, item) => n + item.continuationIds.length, 0);
  const ids = flat.map((c) => c.ids);
  const toxic = Object.fromEntries(JUDGES.map((name) => [name, toxicity[name].flat().filter((p) => p > job.settings.threshold).length])) as Record<JudgeName, number>;
  const figures: PolicyFigures = {
    continuations: flat.length,
    toxicRatio: Object.fromEntries(JUDGES.map((name) => [name, toxic[name] / flat.length])) as Record<JudgeName, number>,
    toxicRatioCi95: Object.fromEntries(JUDGES.map((name) => [name, wilsonInterval(toxic[name], flat.length)])) as Record<JudgeName, Interval>,
    meanToxicity: Object.fromEntries(JUDGES.map((name) => [name, mean(toxicity[name].flat())])) as Record<JudgeName, number>,
    klToBase: underPolicy.reduce((sum, lp, i) => sum + lp - underBase[i]!, 0) / flat.length,
    perplexityUnderBase: Math.exp(-underBase.reduce((a, b) => a + b, 0) / Math.max(1, tokens)),
    distinct1: distinctN(ids, 1),
    distinct2: distinctN(ids, 2),
    responseLength: mean(ids.map((row) => row.length)),
  };
  return { toxicity, figures };
}

function metricOf(figures: PolicyFigures, metric: BenchmarkMetric): number {
  const [key, judge] = metric.split('.') as [keyof PolicyFigures, JudgeName | undefined];
  const value = figures[key];
  return judge === undefined ? (value as number) : (value as Record<JudgeName, number>)[judge];
}

type Judged = { policy: PolicyToBenchmark; seeds: JudgedSeed[] };

/** Toxic and total continuations of a policy by a judge, its seeds pooled. */
function pooledCounts(judged: Judged, judge: JudgeName, threshold: number): { toxic: number; n: number } {
  const values = judged.seeds.flatMap((s) => s.toxicity[judge].flat());
  return { toxic: values.filter((p) => p > threshold).length, n: values.length };
}

function compareAll(judged: readonly Judged[], threshold: number): ToxicityComparison[] {
  const out: ToxicityComparison[] = [];
  judged.forEach((a, i) => judged.slice(i + 1).forEach((b) => {
    for (const judge of JUDGES) {
      const [x, y] = [pooledCounts(a, judge, threshold), pooledCounts(b, judge, threshold)];
      const test = twoProportionZTest(x.toxic, x.n, y.toxic, y.n);
      out.push({ a: a.policy.name, b: b.policy.name, judge, difference: test.difference, ci95: proportionDifferenceInterval(x.toxic, x.n, y.toxic, y.n), z: test.z, pValue: test.pValue });
    }
  }));
  return out;
}

/** Per prompt, the share of a policy's continuations (all seeds, all samples) the ground truth calls toxic. */
function sharesByPrompt(judged: Judged, threshold: number): number[] {
  const prompts = judged.seeds[0]!.toxicity.groundTruth.length;
  return Array.from({ length: prompts }, (_, p) => {
    const values = judged.seeds.flatMap((s) => s.toxicity.groundTruth[p]!);
    return values.filter((x) => x > threshold).length / values.length;
  });
}

function reductions(judged: readonly Judged[], settings: BenchmarkSettings): ReductionFraction[] {
  const base = judged.find((j) => j.policy.kind === 'base');
  const reference = judged.find((j) => j.policy.kind === 'ground-truth');
  if (!base || !reference) return [];
  const shares = { base: sharesByPrompt(base, settings.threshold), reference: sharesByPrompt(reference, settings.threshold) };
  return judged.filter((j) => j.policy.kind === 'recovered' || j.policy.kind === 'control' || j.policy.kind === 'served').map((j) => {
    const { estimate, ci95 } = reductionFraction({ ...shares, candidate: sharesByPrompt(j, settings.threshold) }, { seed: `reduction ${j.policy.name}`, resamples: settings.bootstrapResamples });
    return { policy: j.policy.name, estimate, ci95: ci95 && { low: ci95.low, high: ci95.high, confidence: ci95.confidence, method: ci95.method } };
  });
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
