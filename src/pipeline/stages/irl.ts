/**
 * Stage `irl`: recovers the expert's reward from the demonstrations. Each variant (pooling,
 * training mode, objective) is trained once per seed on the IRL train split, its epoch chosen on
 * the validation split, saved as a Hugging Face reward folder (<variant>/seed-<k>), and scored on
 * the validation and test texts: scores.jsonl per seed, and per-seed agreement with the ground
 * truth and with who wrote each text in summary.json. Not yet in PIPELINE_STAGES.
 */
import { join } from 'node:path';
import { auroc, pearson, spearman, summariseSeeds } from '../../eval/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { RewardModel, rewardRows, saveRewardModel, trainRewardSeeds, type RewardRows, type SeedRun, type TrainingMode } from '../../irl/index.js';
import type { GPTNeoXForCausalLM } from '../../models/gpt-neox.js';
import type { LlamaForCausalLM } from '../../models/llama.js';
import { loadModel } from '../../models/load.js';
import { s, type Infer } from '../schema.js';
import { defineStage, type StageContext } from '../stage.js';
import { modelFolderOf, readJsonl } from './common.js';
import { DEMONSTRATIONS_FILE, type DemonstrationLine } from './demonstrations.js';

export const SUMMARY_FILE = 'summary.json';

const variantSchema = s.object({
  name: s.string({ nonEmpty: true }),
  pooling: s.enum(['last', 'mean', 'token-mean', 'token-min'] as const, { default: 'last' }),
  mode: s.enum(['full', 'top', 'probe'] as const, { default: 'full', description: "'top' trains top_layers layers and the head; 'probe' the head on cached features" }),
  top_layers: s.integer({ min: 0, default: 1 }),
  objective: s.enum(['max-margin', 'hinge', 'logistic', 'squared'] as const, { default: 'max-margin' }),
  margin: s.number({ min: 0, default: 1 }),
  l2: s.number({ min: 0, default: 0 }),
  centring: s.number({ min: 0, default: 0 }),
});

/** The paper's setup: the last token's state, the whole backbone trained, its asymmetric max-margin loss. */
const PAPER_VARIANT: Infer<typeof variantSchema> = { name: 'paper', pooling: 'last', mode: 'full', top_layers: 1, objective: 'max-margin', margin: 1, l2: 0, centring: 0 };

export const irlSchema = s.object({
  seeds: s.integer({ min: 1, default: 10, description: 'independent reward models per variant: the reward is not identifiable, so results are distributions over seeds' }),
  reward_input: s.enum(['prompt+continuation', 'continuation'] as const, { default: 'prompt+continuation' }),
  variants: s.array(variantSchema, { minLength: 1, default: [PAPER_VARIANT] }),
  epochs: s.integer({ min: 1, default: 8 }),
  batch_size: s.integer({ min: 1, default: 8, description: 'pairs per step' }),
  learning_rate: s.number({ min: 0, exclusiveMin: true, default: 1e-4 }),
  weight_decay: s.number({ min: 0, default: 0 }),
});

type Settings = Infer<typeof irlSchema>;
type Variant = Infer<typeof variantSchema>;

const modeOf = (v: Variant): TrainingMode => (v.mode === 'top' ? { kind: 'top', layers: v.top_layers } : { kind: v.mode });

/** How a seed's reward agrees, on one split, with the ground truth and with who wrote each text. */
function agreement(rows: RewardRows, scores: number[]) {
  const known = scores.map((_, i) => i).filter((i) => Number.isFinite(rows.groundTruth[i]));
  const pick = (values: readonly number[]) => known.map((i) => values[i]!);
  return {
    texts: scores.length,
    pearson: pearson(pick(rows.groundTruth), pick(scores)),
    spearman: spearman(pick(rows.groundTruth), pick(scores)),
    // Expert texts count as the "non-toxic" class: AUROC is P(a baseline text scores below an expert text).
    expertAuroc: auroc(rows.fromExpert.map((e) => (e ? 1 : -1)), scores),
  };
}

function scoreLines(split: string, rows: RewardRows, scores: number[]): string {
  return scores.map((score, i) => `${JSON.stringify({ split, row: i, fromExpert: rows.fromExpert[i], groundTruth: Number.isFinite(rows.groundTruth[i]) ? rows.groundTruth[i] : null, score })}\n`).join('');
}

/** Saves a seed's reward, writes its scores, and returns its per-seed figures. */
function finishSeed(ctx: StageContext<Settings>, variant: Variant, baseFolder: string, splits: Record<'validation' | 'test', RewardRows>, run: SeedRun) {
  const folder = join(ctx.dir, variant.name, `seed-${run.seed}`);
  saveRewardModel(run.model, join(folder, 'reward'), { tokenizerFrom: baseFolder, rewardInput: ctx.config.reward_input });
  const validation = run.model.scoreRows(splits.validation.rows);
  const test = run.model.scoreRows(splits.test.rows);
  writeFileAtomic(join(folder, 'scores.jsonl'), scoreLines('validation', splits.validation, validation) + scoreLines('test', splits.test, test));
  run.model.classifier.dispose();
  const figures = { seed: run.seed, bestEpoch: run.result.bestEpoch, validationLoss: run.result.bestValidationLoss, validation: agreement(splits.validation, validation), test: agreement(splits.test, test) };
  ctx.metrics.write({ seed: run.seed, validation_loss: figures.validationLoss, test_expert_auroc: figures.test.expertAuroc ?? NaN, test_spearman: figures.test.spearman ?? NaN });
  ctx.log.info(`${variant.name} seed ${run.seed}: best epoch ${figures.bestEpoch}, test expert AUROC ${figures.test.expertAuroc?.toFixed(3) ?? 'n/a'}, Spearman with the ground truth ${figures.test.spearman?.toFixed(3) ?? 'n/a'}`);
  return figures;
}

function trainVariant(ctx: StageContext<Settings>, variant: Variant, base: GPTNeoXForCausalLM | LlamaForCausalLM, baseFolder: string, splits: Record<'train' | 'validation' | 'test', RewardRows>) {
  const { config } = ctx;
  const perSeed: ReturnType<typeof finishSeed>[] = [];
  trainRewardSeeds(
    config.seeds,
    (seed) => RewardModel.fromCausalLM(base, { pooling: variant.pooling, rng: ctx.rng.fork(`${variant.name} seed ${seed}`) }),
    {
      objective: { name: variant.objective, margin: variant.margin, l2: variant.l2, centring: variant.centring }, mode: modeOf(variant),
      train: splits.train, validation: splits.validation, epochs: config.epochs, batchSize: config.batch_size, learningRate: config.learning_rate, weightDecay: config.weight_decay,
    },
    (run) => perSeed.push(finishSeed(ctx, variant, baseFolder, splits, run)),
  );
  const over = (pick: (f: (typeof perSeed)[number]) => number | null) => summariseSeeds(perSeed.map(pick).filter((v): v is number => v !== null));
  return { variant, seeds: perSeed, test: { expertAuroc: over((f) => f.test.expertAuroc), pearson: over((f) => f.test.pearson), spearman: over((f) => f.test.spearman) } };
}

export const irlStage = defineStage({
  name: 'irl',
  configKey: 'irl',
  configSchema: irlSchema,
  dependsOn: ['base-model', 'demonstrations'],
  version: '1',
  description: "recover the expert's reward from the demonstrations, per variant and seed",
  inputs: (ctx) => [join(ctx.stageDir('demonstrations'), DEMONSTRATIONS_FILE)],
  run(ctx) {
    const lines = readJsonl<DemonstrationLine>(join(ctx.stageDir('demonstrations'), DEMONSTRATIONS_FILE));
    const rowsOf = (split: DemonstrationLine['split']) => rewardRows(lines.filter((l) => l.split === split), ctx.config.reward_input);
    const splits = { train: rowsOf('train'), validation: rowsOf('validation'), test: rowsOf('test') };
    const baseFolder = modelFolderOf(ctx.stageDir('base-model'));
    const base = loadModel(baseFolder).model as GPTNeoXForCausalLM | LlamaForCausalLM;
    const variants = ctx.config.variants.map((variant) => {
      ctx.signal.throwIfAborted();
      return trainVariant(ctx, variant, base, baseFolder, splits);
    });
    const summary = { seeds: ctx.config.seeds, rewardInput: ctx.config.reward_input, pairs: { train: splits.train.pairs.length, validation: splits.validation.pairs.length, test: splits.test.pairs.length }, variants };
    writeFileAtomic(join(ctx.dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    return { seeds: summary.seeds, variants: variants.map((v) => ({ name: v.variant.name, testExpertAuroc: v.test.expertAuroc })) };
  },
});
