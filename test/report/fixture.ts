/**
 * A small run folder made by hand in the shapes the stages write (as runs/demo has them, and
 * reuse/summary.json as reuse-summary.ts fixes it): four held-out prompts, three IRL variants
 * over two seeds plus the log-ratio's one run, two PPO seeds. One prompt and one variant's name
 * are hostile markup, to show that no text from a run becomes markup in the page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summariseSeeds, type SeedSummary } from '../../src/eval/index.js';
import { BENCHMARK_METRICS, type BenchmarkedPolicy, type PolicyFigures, type ReuseSummary } from '../../src/pipeline/stages/reuse-summary.js';

/** Text that would run a script, load a remote image or break out of an attribute if it were not escaped. */
export const HOSTILE_TEXT = `</td><script>alert("prompt")</script><img src="https://example.com/x.png" onerror="alert(1)"> & ' "`;
/** A variant name that is markup (no '/', since it names a folder). */
export const HOSTILE_VARIANT = 'x<img src=x onerror=alert(2)>';

export interface FixtureOptions {
  /** Write the reuse stage (default false: today's pipeline has none). */
  reuse?: boolean;
  /** Minimal pairs in the scores and the evaluation (the demo world has them; the Pythia presets do not). */
  minimalPairs?: boolean;
  /** ground-truth/evaluation.json (a trained classifier has it; one the config names does not). */
  groundTruthEvaluation?: boolean;
}

const VARIANTS = [
  { name: 'paper', kind: 'preference', seeds: [0, 1], note: null },
  { name: HOSTILE_VARIANT, kind: 'preference', seeds: [0, 1], note: HOSTILE_TEXT },
  { name: 'log-ratio', kind: 'log-ratio', seeds: [null], note: 'closed form: one run' },
  { name: 'random-head', kind: 'random', seeds: [0, 1], note: 'the control' },
] as const;

const PROMPTS = [
  { id: 'p0', prompt: `A hostile prompt ${HOSTILE_TEXT}`, expert: 'a calm reply.', baseline: `a rude ${HOSTILE_TEXT} reply`, toxicity: [0.05, 0.9] },
  { id: 'p1', prompt: 'The whale rose', expert: 'out of the sea.', baseline: 'damn it all.', toxicity: [0.04, 0.8] },
  { id: 'p2', prompt: 'Call me', expert: 'Ishmael.', baseline: 'a fool.', toxicity: [0.03, 0.6] },
  { id: 'p3', prompt: 'The ship sailed', expert: 'at dawn.', baseline: 'into the storm.', toxicity: [0.02, 0.1] },
];

const SENTENCES = ['s0', 's1', 's2'];

/** The stages the fixture writes, in pipeline order. */
export function fixtureStages(options: FixtureOptions = {}): string[] {
  return ['world', 'ground-truth', 'rlhf', 'demonstrations', 'irl', 'evaluate', ...(options.reuse ? ['reuse'] : [])];
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const jsonl = (lines: readonly unknown[]) => lines.map((line) => `${JSON.stringify(line)}\n`).join('');

function write(dir: string, path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** A run's value that varies a little with the seed, so that spreads are not zero. */
const wobble = (base: number, seed: number | null) => base + 0.02 * ((seed ?? 0) % 3) - 0.01;

function scoreLines(variant: (typeof VARIANTS)[number], seed: number | null, minimalPairs: boolean) {
  const slope = variant.kind === 'random' ? 0 : variant.kind === 'log-ratio' ? -4 : -1;
  const test = PROMPTS.flatMap((p) => [true, false].map((fromExpert, k) => ({ p, fromExpert, toxicity: p.toxicity[k]! })));
  return [
    { split: 'validation', row: 0, prompt: 'v0', fromExpert: true, groundTruth: -0.1, score: 0.3 },
    ...test.map((t, row) => ({ split: 'test', row, prompt: t.p.id, fromExpert: t.fromExpert, groundTruth: -t.toxicity, score: slope * t.toxicity + 0.3 * Math.sin(row + (seed ?? 0)) })),
    ...(minimalPairs
      ? SENTENCES.flatMap((sentence, row) => (['clean', 'abusive', 'benign'] as const).map((form, k) => ({ split: 'pairs', row: 3 * row + k, sentence, form, score: form === 'abusive' ? slope : 1 })))
      : []),
  ];
}

function perSeedLines(minimalPairs: boolean) {
  return VARIANTS.flatMap((v) =>
    v.seeds.map((seed) => {
      const good = v.kind === 'log-ratio' ? 0.9 : v.kind === 'random' ? 0.5 : 0.55;
      return {
        variant: v.name, seed, texts: 8, toxicTexts: 3, confusion: [[4, 1], [1 + (seed ?? 0), 2 - (seed ?? 0)]], threshold: 0,
        accuracy: wobble(0.7, seed), auroc: wobble(good, seed), spearman: wobble(good - 0.5, seed), expertAuroc: wobble(0.8, seed),
        minimalPairAccuracy: minimalPairs ? wobble(good, seed) : null, lookAlikePairAccuracy: minimalPairs ? wobble(good - 0.02, seed) : null,
        cleanOverLookAlike: minimalPairs ? wobble(0.5, seed) : null, minimalPairs: minimalPairs ? SENTENCES.length : 0,
      };
    }),
  );
}

const METRIC_NAMES = ['accuracy', 'auroc', 'spearman', 'expertAuroc', 'minimalPairAccuracy', 'lookAlikePairAccuracy', 'cleanOverLookAlike'] as const;

function evaluateFiles(dir: string, minimalPairs: boolean): void {
  const perSeed = perSeedLines(minimalPairs);
  const metrics = Object.fromEntries(VARIANTS.map((v) => {
    const lines = perSeed.filter((line) => line.variant === v.name);
    return [v.name, Object.fromEntries(METRIC_NAMES.map((m) => [m, summariseSeeds(lines.map((line) => line[m]).filter((x): x is number => x !== null))]))];
  }));
  const labels = perSeed.map((line) => (line.seed === null ? line.variant : `${line.variant}/seed-${line.seed}`));
  const matrix = labels.map((_, i) => labels.map((__, j) => (i === j ? 1 : 0.5 - 0.1 * Math.abs(i - j))));
  const names = VARIANTS.map((v) => v.name);
  write(dir, 'per-seed.jsonl', jsonl(perSeed));
  write(dir, 'similarity.json', json({ labels, pearson: matrix, spearman: matrix, epic: matrix.map((row) => row.map((x) => 1 - x)) }));
  write(dir, 'summary.json', json({
    texts: { test: 8, minimalPairs: minimalPairs ? SENTENCES.length : 0 },
    groundTruth: {
      definition: 'g = log((1 − P_tox)/P_tox); toxic when g < 0',
      test: { texts: 8, toxicShare: 0.375, expertAuroc: 0.7 },
      minimalPairs: minimalPairs
        ? {
            sentences: SENTENCES.length, pairAccuracy: 1, accuracyBySign: 1, lookAlikePairAccuracy: 0.99, cleanOverLookAlike: 0.4,
            byTemplate: { interjection: { sentences: 1, minimalPairAccuracy: 1, lookAlikePairAccuracy: 1 }, vocative: { sentences: 2, minimalPairAccuracy: 1, lookAlikePairAccuracy: 0.98 } },
          }
        : null,
    },
    variants: VARIANTS.map((v) => ({ name: v.name, kind: v.kind, seeds: v.seeds.length, seeded: v.seeds[0] !== null, note: v.note })),
    metrics,
    pairsByTemplate: minimalPairs
      ? Object.fromEntries(VARIANTS.map((v) => [v.name, {
          interjection: { sentences: 1, minimalPairAccuracy: summariseSeeds([0.6, 0.62]), lookAlikePairAccuracy: summariseSeeds([0.55, 0.57]) },
          vocative: { sentences: 2, minimalPairAccuracy: summariseSeeds([1]), lookAlikePairAccuracy: summariseSeeds([0.97]) },
        }]))
      : null,
    similarity: {
      file: 'similarity.json',
      withinVariant: Object.fromEntries(names.map((name) => [name, { meanPearson: 0.9, meanEpic: 0.1 }])),
      betweenVariants: { variants: names, meanPearson: names.map((a, i) => names.map((b, j) => (i === j ? (a === 'log-ratio' ? null : 0.9) : 0.3))) },
    },
    distillation: [],
  }));
}

const seedSummary = (values: number[]): SeedSummary => summariseSeeds(values);

function policyFigures(toxicRatio: number, seed: number | null): PolicyFigures {
  const ratio = wobble(toxicRatio, seed);
  const interval = { low: Math.max(0, ratio - 0.05), high: ratio + 0.05, confidence: 0.95, method: 'wilson' };
  return {
    continuations: 40, toxicRatio: { groundTruth: ratio, independent: ratio * 0.8 }, toxicRatioCi95: { groundTruth: interval, independent: interval },
    meanToxicity: { groundTruth: ratio, independent: ratio * 0.8 }, klToBase: seed === null ? 0 : 3, perplexityUnderBase: 20, distinct1: 0.5, distinct2: 0.8, responseLength: 12,
  };
}

function policy(name: string, kind: BenchmarkedPolicy['kind'], toxicRatio: number, reward: string | null, variant: string | null): BenchmarkedPolicy {
  const seeds = (kind === 'base' ? [null] : [0, 1]).map((seed) => ({ seed, ...policyFigures(toxicRatio, seed) }));
  const read = (metric: string, figures: PolicyFigures): number => {
    const [key, judge] = metric.split('.') as [keyof PolicyFigures, string | undefined];
    const value = figures[key];
    return typeof value === 'number' ? value : (value as Record<string, number>)[judge!]!;
  };
  return {
    name, kind, reward, variant, rewardSeed: variant === null ? null : 0, chosenBy: variant === null ? null : 'seed 0, the first seed',
    seeds, acrossSeeds: Object.fromEntries(BENCHMARK_METRICS.map((m) => [m, seedSummary(seeds.map((s) => read(m, s)))])) as BenchmarkedPolicy['acrossSeeds'],
  };
}

export function reuseSummary(): ReuseSummary {
  return {
    benchmarkPrompts: 20, samplesPerPrompt: 2, threshold: 0.5,
    judges: { groundTruth: 'the run’s ground-truth classifier', independent: `a word list ${HOSTILE_TEXT}` },
    normalisation: 'standardised on the train texts',
    policies: [
      policy('base', 'base', 0.3, null, null),
      policy('ground-truth', 'ground-truth', 0.1, '−P_tox, shaped', null),
      policy('irl:paper', 'recovered', 0.28, 'the paper variant’s reward', 'paper'),
      policy('control:random-head', 'control', 0.31, 'an untrained head', 'random-head'),
    ],
    comparisons: [{ a: 'irl:paper', b: 'base', judge: 'groundTruth', difference: -0.02, ci95: { low: -0.1, high: 0.06, confidence: 0.95, method: 'newcombe' }, z: -0.4, pValue: 0.69 }],
    reductionFraction: [{ policy: 'irl:paper', estimate: 0.1, ci95: { low: -0.3, high: 0.5, confidence: 0.95, method: 'bootstrap(200)' } }],
    served: {},
    curves: 'metrics.jsonl',
  };
}

/** The files one stage writes into its folder (stage.json aside). */
export function writeStageOutputs(stage: string, dir: string, options: FixtureOptions = {}): void {
  const minimalPairs = options.minimalPairs ?? true;
  switch (stage) {
    case 'world':
      write(dir, 'world.json', json({ kind: 'demo' }));
      return;
    case 'ground-truth':
      if (options.groundTruthEvaluation ?? true) write(dir, 'evaluation.json', json({ accuracy: 0.98, pairAccuracy: 0.99, pairs: 3, trainSteps: 10, trainLoss: 0.1, futureFigure: 0.5 }));
      else write(dir, 'model.json', json({ path: '/models/classifier', source: 's-nlp/roberta_toxicity_classifier' }));
      return;
    case 'rlhf':
      write(dir, 'summary.json', json({ headline: {
        seeds: 2, baseContinuationToxicRatio: 0.3, expertContinuationToxicRatio: seedSummary([0.1, 0.12]),
        baseWithPromptToxicRatio: 0.4, expertWithPromptToxicRatio: seedSummary([0.3, 0.32]), klToBase: seedSummary([3, 4]),
        baseResponseLength: 21.5, expertResponseLength: seedSummary([6.25, 7.75]),
      } }));
      return;
    case 'demonstrations':
      write(dir, 'summary.json', json({ continuations: { expert: { texts: 4, meanTokens: 5, toxicShare: 0.25 }, baseline: { texts: 4, meanTokens: 20, toxicShare: 0.5 } } }));
      write(dir, 'demonstrations.jsonl', jsonl([
        { split: 'train', id: 't0', prompt: 'train prompt', promptIds: [1], expert: [{ ids: [2], text: 'x', groundTruth: -0.1 }], baseline: [{ ids: [3], text: 'y', groundTruth: -0.2 }] },
        ...PROMPTS.map((p) => ({
          split: 'test', id: p.id, prompt: p.prompt, promptIds: [1],
          expert: [{ ids: [2], text: p.expert, groundTruth: -p.toxicity[0]! }], baseline: [{ ids: [3], text: p.baseline, groundTruth: -p.toxicity[1]! }],
        })),
      ]));
      return;
    case 'irl':
      write(dir, 'summary.json', json({
        seeds: 2,
        variants: VARIANTS.map((v) => ({ name: v.name, kind: v.kind, runs: v.seeds.map((seed) => ({ seed, scores: seed === null ? `${v.name}/scores.jsonl` : `${v.name}/seed-${seed}/scores.jsonl` })) })),
      }));
      for (const v of VARIANTS) for (const seed of v.seeds) write(dir, seed === null ? `${v.name}/scores.jsonl` : `${v.name}/seed-${seed}/scores.jsonl`, jsonl(scoreLines(v, seed, minimalPairs)));
      return;
    case 'evaluate':
      evaluateFiles(dir, minimalPairs);
      return;
    case 'reuse':
      write(dir, 'summary.json', json(reuseSummary()));
      return;
    default:
      throw new Error(`the fixture has no stage ${stage}`);
  }
}

/** What a stage logs to metrics.jsonl: PPO rounds for rlhf (per seed) and reuse (per policy and seed). */
export function stageMetrics(stage: string): Record<string, string | number>[] {
  const rounds = (seed: number, extra: Record<string, string>) => [1, 2, 3, 4].map((step) => ({
    ...extra, seed, ppo_step: step, 'rollout/reward/mean': 0.1 * step + 0.05 * seed, 'rollout/kl/per_sequence': step, 'rollout/ground_truth/mean': -0.3 + 0.04 * step,
  }));
  if (stage === 'rlhf') return [0, 1].flatMap((seed) => rounds(seed, {}));
  if (stage === 'reuse') return ['irl:paper', 'control:random-head'].flatMap((policy) => [0, 1].flatMap((seed) => rounds(seed, { policy })));
  return [];
}

/** A whole run folder `<root>/fixture-run`: config.yaml, metrics.jsonl, and each stage's outputs and marker. */
export function writeFixtureRun(root: string, options: FixtureOptions = {}): string {
  const runDir = join(root, 'fixture-run');
  const stages = fixtureStages(options);
  write(runDir, 'config.yaml', `# fixture\nname: fixture-run\nseed: 0\npreset: demo-tiny\nground_truth:\n  source: ${options.groundTruthEvaluation === false ? 's-nlp/roberta_toxicity_classifier' : 'null'}\nrlhf:\n  seeds: 2\nirl:\n  seeds: 2\n  note: "${HOSTILE_TEXT.replace(/"/g, '\\"')}"\n`);
  write(runDir, 'metrics.jsonl', jsonl(stages.flatMap((stage) => stageMetrics(stage).map((values) => ({ stage, time: '2026-01-01T00:00:00.000Z', ...values })))));
  stages.forEach((stage, i) => {
    writeStageOutputs(stage, join(runDir, stage), options);
    const finishedAt = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
    write(runDir, join(stage, 'stage.json'), json({
      format: 1, stage, fingerprint: `${i}`.repeat(64),
      parts: { config: 'c', seed: 0, codeVersion: '0.1.0', stageVersion: '1', upstream: {}, inputs: i === 0 ? {} : { [`${stages[i - 1]}/summary.json`]: 'ab'.repeat(32) } },
      startedAt: finishedAt, finishedAt, durationMs: 1000 * (i + 1), summary: {}, outputs: [], outputDigest: 'd',
    }));
  });
  return runDir;
}
