/**
 * Stage `evaluate`: every IRL variant's recovered rewards against the ground truth, per seed and
 * over seeds, on two held-out test sets — fresh continuations of held-out prompts from both
 * models (demonstrations' test split), judged with their prompt and alone, and, in the demo
 * world, the minimal pairs (each held-out sentence clean vs abusive, and its benign look-alike
 * against both, the control for length) — with the ground truth's
 * own figures on the same texts for scale,
 * and how the recovered rewards of different seeds and variants agree with each other. Outputs
 * summary.json, per-seed.jsonl and similarity.json (documented in the README).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORLD_FILES, asContinuation, type WorldSentence } from '../../data/demo-world/index.js';
import {
  AGREEMENT_METRICS, auroc, chooseThreshold, lookAlikePairFigures, meanOffDiagonal, minimalPairAccuracy, rewardAgreement, rewardSimilarity, summariseOverSeeds, summariseSeeds,
  type SeedSummary,
} from '../../eval/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { s } from '../schema.js';
import { defineStage, type StageContext } from '../stage.js';
import { readJsonLines } from '../../io/json-lines.js';
import { SUMMARY_FILE as IRL_SUMMARY_FILE } from './irl.js';
import type { IrlSummary } from './irl-summary.js';
import { groundTruthReward, logOddsNotToxic } from './toxicity.js';

export const SUMMARY_FILE = 'summary.json';
export const PER_SEED_FILE = 'per-seed.jsonl';
export const SIMILARITY_FILE = 'similarity.json';

export const evaluateSchema = s.object({
  bootstrap_resamples: s.integer({ min: 1, default: 1000, description: 'resamples of the test texts behind each per-seed bootstrap interval' }),
});

/** The per-seed figures summarised over seeds: every agreement metric, plus those that need no ground-truth scores. */
export const EVALUATED_METRICS = [...AGREEMENT_METRICS, 'expertAuroc', 'minimalPairAccuracy', 'lookAlikePairAccuracy', 'cleanOverLookAlike'] as const;

/** A line of an irl scores.jsonl. */
interface ScoreLine {
  split: string;
  score: number;
  prompt?: string;
  fromExpert?: boolean;
  groundTruth?: number | null;
  groundTruthContinuation?: number | null;
  sentence?: string;
  form?: PairForm;
}

type PairForm = 'clean' | 'abusive' | 'benign';

/**
 * What a fresh text is judged by: the ground truth of prompt + continuation (the form RLHF's reward
 * took), or of the continuation alone. A reward learnt from pairs of one prompt's continuations is
 * determined only up to a term c(x) of the prompt, which the first mixes in and the second leaves out.
 */
type Judged = 'groundTruth' | 'groundTruthContinuation';

/** The test texts (ground truth, groups, who wrote each) as every run's scores.jsonl lists them, in order. */
function testTexts(lines: readonly ScoreLine[], judged: Judged = 'groundTruth') {
  const test = lines.filter((l) => l.split === 'test' && typeof l[judged] === 'number');
  return { groundTruth: test.map((l) => logOddsNotToxic(l[judged]!)), groups: test.map((l) => l.prompt ?? ''), fromExpert: test.map((l) => (l.fromExpert ? 1 : -1)) };
}

const scoresOf = (lines: readonly ScoreLine[], split: string, judged: Judged = 'groundTruth') => lines.filter((l) => l.split === split && (split === 'pairs' || typeof l[judged] === 'number'));

/** The agreement of a run's test scores with one ground truth, at the threshold chosen on validation; null when the texts were not judged so. */
function agreementWith(ctx: StageContext<{ bootstrap_resamples: number }>, label: string, lines: readonly ScoreLine[], judged: Judged) {
  const validation = scoresOf(lines, 'validation', judged);
  const test = testTexts(lines, judged);
  if (validation.length === 0 || test.groundTruth.length === 0) return null;
  const { threshold } = chooseThreshold(validation.map((l) => logOddsNotToxic(l[judged]!)), validation.map((l) => l.score));
  const recovered = scoresOf(lines, 'test', judged).map((l) => l.score);
  const seed = ctx.rng.fork(judged === 'groundTruth' ? label : `${label}, continuation alone`);
  return { recovered, ...rewardAgreement(test.groundTruth, recovered, { groups: test.groups, threshold, bootstrap: { seed, resamples: ctx.config.bootstrap_resamples } }) };
}

/**
 * Clean and abusive scores of each minimal pair, matched by sentence, and the look-alikes' when
 * every sentence has one (runs before irl v6 scored none); null when the run scored no pairs.
 */
function pairScores(lines: readonly ScoreLine[]): { sentences: string[]; clean: number[]; abusive: number[]; benign: number[] | null } | null {
  const bySentence = new Map<string, Partial<Record<PairForm, number>>>();
  for (const l of scoresOf(lines, 'pairs')) bySentence.set(l.sentence!, { ...bySentence.get(l.sentence!), [l.form!]: l.score });
  const complete = [...bySentence].filter(([, p]) => p.clean !== undefined && p.abusive !== undefined);
  if (complete.length === 0) return null;
  const benign = complete.every(([, p]) => p.benign !== undefined) ? complete.map(([, p]) => p.benign!) : null;
  return { sentences: complete.map(([id]) => id), clean: complete.map(([, p]) => p.clean!), abusive: complete.map(([, p]) => p.abusive!), benign };
}

type PairScores = NonNullable<ReturnType<typeof pairScores>>;

/** Minimal pairs and their look-alike control (null where not scored). */
function pairFigures(pairs: Pick<PairScores, 'clean' | 'abusive' | 'benign'> | null) {
  return {
    minimalPairAccuracy: pairs ? minimalPairAccuracy(pairs.clean, pairs.abusive) : null,
    ...(pairs?.benign ? lookAlikePairFigures(pairs.clean, pairs.abusive, pairs.benign) : { lookAlikePairAccuracy: null, cleanOverLookAlike: null }),
  };
}

/** Each held-out sentence's template: where its abusive word sits (first word, vocative, adjective, …). */
type TemplateOf = ReadonlyMap<string, string>;

/** The pair figures within each template: which shapes of abuse a reward misses. */
function pairFiguresByTemplate(pairs: PairScores, templateOf: TemplateOf) {
  const templates = [...new Set(pairs.sentences.map((id) => templateOf.get(id) ?? 'unknown'))].sort();
  return Object.fromEntries(templates.map((template) => {
    const rows = pairs.sentences.flatMap((id, i) => ((templateOf.get(id) ?? 'unknown') === template ? [i] : []));
    const pick = (values: readonly number[]) => rows.map((i) => values[i]!);
    return [template, { sentences: rows.length, ...pairFigures({ clean: pick(pairs.clean), abusive: pick(pairs.abusive), benign: pairs.benign && pick(pairs.benign) }) }];
  }));
}

const PAIR_METRICS = ['minimalPairAccuracy', 'lookAlikePairAccuracy', 'cleanOverLookAlike'] as const;

/** Each variant's pair figures per template, summarised over its seeds; null without minimal pairs. */
function pairsByTemplate(evaluated: readonly { variant: string; figures: { pairsByTemplate: ReturnType<typeof pairFiguresByTemplate> | null } }[]) {
  if (evaluated.some((e) => e.figures.pairsByTemplate === null)) return null;
  const variants = [...new Set(evaluated.map((e) => e.variant))];
  return Object.fromEntries(variants.map((variant) => {
    const runs = evaluated.filter((e) => e.variant === variant).map((e) => e.figures.pairsByTemplate!);
    return [variant, Object.fromEntries(Object.entries(runs[0]!).map(([template, { sentences }]) => [template, { sentences, ...summariseOverSeeds(runs.map((r) => r[template]!), PAIR_METRICS) }]))];
  }));
}

/** One seed's figures: the threshold chosen on validation, applied to test; minimal pairs when scored, also per template. */
function evaluateRun(ctx: StageContext<{ bootstrap_resamples: number }>, label: string, lines: readonly ScoreLine[], templateOf: TemplateOf) {
  const { recovered, ...agreement } = agreementWith(ctx, label, lines, 'groundTruth')!;
  const continuation = agreementWith(ctx, label, lines, 'groundTruthContinuation');
  const pairs = pairScores(lines);
  return {
    ...agreement,
    continuationAlone: continuation && (({ recovered: _r, ...figures }) => figures)(continuation),
    expertAuroc: auroc(testTexts(lines).fromExpert, recovered),
    ...pairFigures(pairs),
    minimalPairs: pairs?.sentences.length ?? 0,
    pairsByTemplate: pairs && pairFiguresByTemplate(pairs, templateOf),
    recovered,
  };
}

/** How many of some test texts the ground truth calls toxic, and how well it tells the expert's from the baseline's. */
const figuresOf = ({ groundTruth, fromExpert }: ReturnType<typeof testTexts>) => ({
  texts: groundTruth.length, toxicShare: groundTruth.filter((g) => g < 0).length / groundTruth.length, expertAuroc: auroc(fromExpert, groundTruth),
});

/** The ground truth's own figures on the same texts: how well it tells expert from baseline, and the minimal pairs' labels. */
function groundTruthFigures(ctx: StageContext, lines: readonly ScoreLine[], sentences: ReadonlyMap<string, WorldSentence>, templateOf: TemplateOf) {
  const test = testTexts(lines);
  const continuation = testTexts(lines, 'groundTruthContinuation');
  const pairs = pairScores(lines);
  const figures = {
    definition: 'g = log((1 − P_tox)/P_tox) of prompt + continuation by the ground-truth classifier; toxic when g < 0',
    test: figuresOf(test),
    testContinuationAlone: continuation.groundTruth.length === 0 ? null : { definition: 'the same of the continuation alone', ...figuresOf(continuation) },
    minimalPairs: null as null | {
      sentences: number; pairAccuracy: number; accuracyBySign: number; lookAlikePairAccuracy: number; cleanOverLookAlike: number; byTemplate: ReturnType<typeof pairFiguresByTemplate>;
    },
  };
  if (pairs) {
    const { reward } = groundTruthReward(ctx);
    // Read as the recovered rewards read them (irl's minimal-pair set): as a continuation, after a space.
    const score = (form: PairForm) => reward.score(pairs.sentences.map((id) => asContinuation(sentences.get(id)![form]))).scores.map(logOddsNotToxic);
    const [clean, abusive, benign] = [score('clean'), score('abusive'), score('benign')];
    const right = clean.filter((g) => g >= 0).length + abusive.filter((g) => g < 0).length;
    figures.minimalPairs = {
      sentences: pairs.sentences.length, pairAccuracy: minimalPairAccuracy(clean, abusive), accuracyBySign: right / (2 * pairs.sentences.length), ...lookAlikePairFigures(clean, abusive, benign),
      byTemplate: pairFiguresByTemplate({ ...pairs, clean, abusive, benign }, templateOf),
    };
  }
  return figures;
}

export const evaluateStage = defineStage({
  name: 'evaluate',
  configKey: 'evaluate',
  configSchema: evaluateSchema,
  dependsOn: ['world', 'ground-truth', 'irl'],
  // 2: fresh texts are also judged by the ground truth of the continuation alone. 3: spreadOver; the
  // distillation teacher's figures are its first run's (the expert the students learnt from).
  // 4: a bounded figure's interval over seeds is cut to its range. 5: the look-alike control of the minimal pairs, and pair figures per template.
  // 6: the ground truth reads the minimal pairs as the rewards do, after a space.
  version: '6',
  description: 'the recovered rewards against the ground truth on held-out texts and minimal pairs, per seed and over seeds',
  inputs: (ctx) => [join(ctx.stageDir('irl'), IRL_SUMMARY_FILE)],
  run(ctx) {
    const irlDir = ctx.stageDir('irl');
    const irl = JSON.parse(readFileSync(join(irlDir, IRL_SUMMARY_FILE), 'utf8')) as IrlSummary;
    const runs = irl.variants.flatMap((v) => v.runs.map((run) => ({ variant: v.name, seed: run.seed, lines: readJsonLines<ScoreLine>(join(irlDir, run.scores)) })));
    const sentencesFile = join(ctx.stageDir('world'), WORLD_FILES.sentences);
    const sentences = new Map(existsSync(sentencesFile) ? readJsonLines<WorldSentence>(sentencesFile).map((sentence) => [sentence.id, sentence]) : []);
    const templateOf = new Map([...sentences].map(([id, sentence]) => [id, sentence.template]));
    const evaluated = runs.map((run) => ({ ...run, figures: evaluateRun(ctx, `${run.variant} seed ${run.seed}`, run.lines, templateOf) }));
    writeFileAtomic(join(ctx.dir, PER_SEED_FILE), evaluated.map(({ variant, seed, figures: { recovered: _r, ...figures } }) => `${JSON.stringify({ variant, seed, ...figures })}\n`).join(''));

    const ofVariant = (name: string) => evaluated.filter((e) => e.variant === name).map((e) => e.figures);
    const metrics = Object.fromEntries(irl.variants.map((v) => [v.name, summariseOverSeeds(ofVariant(v.name), EVALUATED_METRICS)]));
    const alone = irl.variants.map((v) => [v.name, ofVariant(v.name).map((f) => f.continuationAlone)] as const);
    const continuationMetrics = alone.every(([, runs]) => runs.every((r) => r !== null))
      ? Object.fromEntries(alone.map(([name, runs]) => [name, summariseOverSeeds(runs.map((r) => r!), AGREEMENT_METRICS)]))
      : null;
    const similarity = similarityOf(evaluated, testTexts(runs[0]!.lines).groups);
    writeFileAtomic(join(ctx.dir, SIMILARITY_FILE), `${JSON.stringify(similarity.matrices)}\n`);
    const summary = {
      texts: { test: evaluated[0]!.figures.texts, minimalPairs: evaluated[0]!.figures.minimalPairs },
      groundTruth: groundTruthFigures(ctx, runs[0]!.lines, sentences, templateOf),
      variants: irl.variants.map((v) => ({ name: v.name, kind: v.kind, seeds: v.runs.length, seeded: v.seeded, spreadOver: v.spreadOver ?? null, note: v.note })),
      metrics,
      pairsByTemplate: pairsByTemplate(evaluated),
      continuationMetrics,
      similarity: similarity.summary,
      distillation: distillationFigures(irl, evaluated, metrics, similarity),
    };
    writeFileAtomic(join(ctx.dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    logSummary(ctx, summary);
    return { variants: Object.fromEntries(Object.entries(metrics).map(([name, m]) => [name, { spearman: m.spearman.mean, auroc: m.auroc.mean, minimalPairAccuracy: m.minimalPairAccuracy.mean }])) };
  },
});

type Evaluated = { variant: string; seed: number | null; figures: { recovered: number[] } };

/** Pearson, Spearman and EPIC between every two recovered rewards on the test texts; summarised within and between variants. */
function similarityOf(evaluated: readonly Evaluated[], groups: readonly string[]) {
  const labels = evaluated.map((e) => (e.seed === null ? e.variant : `${e.variant}/seed-${e.seed}`));
  const matrices = { labels, ...rewardSimilarity(evaluated.map((e) => e.figures.recovered), groups) };
  const names = [...new Set(evaluated.map((e) => e.variant))];
  const within = (name: string, matrix: (number | null)[][]) => meanOffDiagonal(matrix, (i, j) => evaluated[i]!.variant === name && evaluated[j]!.variant === name);
  const between = (a: string, b: string) => meanOffDiagonal(matrices.pearson, (i, j) => evaluated[i]!.variant === a && evaluated[j]!.variant === b);
  return {
    matrices,
    summary: {
      file: SIMILARITY_FILE,
      // Seed-to-seed agreement: how much of a variant's reward is determined by the data rather than the seed.
      withinVariant: Object.fromEntries(names.map((name) => [name, { meanPearson: within(name, matrices.pearson), meanEpic: within(name, matrices.epic) }])),
      betweenVariants: { variants: names, meanPearson: names.map((a) => names.map((b) => between(a, b))) },
    },
    fidelity: (variant: string, teacher: string) => {
      const t = evaluated.findIndex((e) => e.variant === teacher);
      return evaluated.flatMap((e, i) => (e.variant === variant && t >= 0 ? [matrices.pearson[i]![t]] : [])).filter((x): x is number => x !== null);
    },
  };
}

/**
 * How much of the log-ratio's quality each distilled variant keeps: the teacher's figure (its
 * first run: the expert the students learnt from), the student's mean over seeds and their
 * difference (a ratio would blow up near chance), and the student's Pearson with the teacher on
 * the test texts, per seed.
 */
function distillationFigures(irl: IrlSummary, evaluated: readonly (Evaluated & { figures: Partial<Record<(typeof EVALUATED_METRICS)[number], number | null>> })[], metrics: Record<string, Record<(typeof EVALUATED_METRICS)[number], SeedSummary>>, similarity: ReturnType<typeof similarityOf>) {
  const teacher = irl.variants.find((v) => v.closedForm)?.name;
  if (teacher === undefined) return [];
  const teacherRun = evaluated.find((e) => e.variant === teacher)!.figures;
  const compared = (student: string, metric: (typeof EVALUATED_METRICS)[number]) => {
    const [t, s] = [teacherRun[metric] ?? null, metrics[student]![metric].mean];
    return { teacher: t, student: s, difference: t === null || s === null ? null : s - t };
  };
  return irl.variants.filter((v) => v.kind === 'distilled').map((v) => ({
    variant: v.name,
    teacher,
    figures: Object.fromEntries((['spearman', 'pearson', 'auroc', 'pairwiseAccuracy', 'expertAuroc', 'minimalPairAccuracy', 'lookAlikePairAccuracy'] as const).map((m) => [m, compared(v.name, m)])),
    fidelityPearson: summariseSeeds(similarity.fidelity(v.name, teacher)),
  }));
}

function logSummary(ctx: StageContext, summary: { metrics: Record<string, Record<string, SeedSummary>>; continuationMetrics: Record<string, Record<string, SeedSummary>> | null; groundTruth: ReturnType<typeof groundTruthFigures> }): void {
  const fixed = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
  for (const [name, m] of Object.entries(summary.metrics)) {
    const alone = summary.continuationMetrics?.[name];
    ctx.log.info(
      `${name} (${m.spearman!.n} seeds): Spearman with the ground truth ${fixed(m.spearman!.mean)} ± ${fixed(m.spearman!.sd)}, AUROC ${fixed(m.auroc!.mean)}` +
        `${alone ? ` (continuation alone: Spearman ${fixed(alone.spearman!.mean)}, AUROC ${fixed(alone.auroc!.mean)})` : ''}, minimal pairs right ${fixed(m.minimalPairAccuracy!.mean)}` +
        ` (look-alike pairs ${fixed(m.lookAlikePairAccuracy!.mean)}; clean over look-alike ${fixed(m.cleanOverLookAlike!.mean)})`,
    );
  }
  const gt = summary.groundTruth;
  ctx.log.info(
    `ground truth for scale: expert-vs-baseline AUROC ${fixed(gt.test.expertAuroc)}; minimal pairs right ${fixed(gt.minimalPairs?.pairAccuracy)}` +
      ` (look-alike pairs ${fixed(gt.minimalPairs?.lookAlikePairAccuracy)}; clean over look-alike ${fixed(gt.minimalPairs?.cleanOverLookAlike)})`,
  );
}
