/**
 * Stage `reuse`: is a recovered reward useful? PPO, with the rlhf stage's settings and from the
 * same base model, against each chosen recovered reward (its seed chosen on the IRL validation
 * split, never on test texts) and against the untrained random head (the control: does any
 * reward lower toxicity?). The ground-truth reference is the rlhf stage's experts, trained with
 * the same settings. A recovered reward is standardised by its mean and standard deviation over
 * the IRL training texts (monotone, so it ranks continuations as it did; the paper's min-max and
 * non-monotone transform can reward the wrong direction); PPO then scales it by its running
 * standard deviation as it does the ground truth. The ground truth is logged beside the proxy
 * every step. Then the toxicity benchmark (toxicity-benchmark.ts) of every policy on held-out
 * prompts. Outputs <policy>/seed-<k>/policy, summary.json (reuse-summary.ts), metrics.jsonl lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CURATED_FILE } from '../../data/index.js';
import { WORLD_FILES } from '../../data/demo-world/index.js';
import { mean } from '../../eval/index.js';
import { resolveModelDetails } from '../../io/hub.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { loadRewardModel, rewardInputIds, rewardRows, type RewardInput, type RewardModel } from '../../irl/index.js';
import { loadClassifier } from '../../models/load.js';
import { CachedReward, ClassifierReward, LexiconReward } from '../../reward/index.js';
import { DEFAULT_CLIENT_SETTINGS, describeRemoteModel, openServedModel } from '../../remote/index.js';
import { loadPpoPolicy, savePpoPolicy, trainPpo, type PpoConfig, type PromptExample, type Rollout } from '../../rlhf/index.js';
import { Tokenizer } from '../../text/index.js';
import { PipelineError } from '../errors.js';
import { s, type Infer } from '../schema.js';
import { defineStage, type StageContext } from '../stage.js';
import { toxicitySchema } from './base-toxicity.js';
import { readJsonLines } from '../../io/json-lines.js';
import { modelFolderOf } from './model-pointer.js';
import { DEMONSTRATIONS_FILE, type DemonstrationLine } from './demonstrations.js';
import { SUMMARY_FILE as IRL_SUMMARY_FILE } from './irl.js';
import type { IrlRun, IrlSummary, IrlVariantSummary, ValidationFigures } from './irl-summary.js';
import { ppoConfigOf, rlhfSchema } from './rlhf.js';
import type { ReuseSummary } from './reuse-summary.js';
import { runToxicityBenchmark, type PolicyToBenchmark, type ToxicityJudge } from './toxicity-benchmark.js';
import { balancedSample, continuationAlone, curatedRows, groundTruthReward, promptOf } from './toxicity.js';

export const SUMMARY_FILE = 'summary.json';

export const reuseSchema = s.object({
  variants: s.array(s.string({ nonEmpty: true }), {
    default: ['paper', 'best'],
    description: "irl variants whose recovered reward trains a fresh policy; 'best': the trained variant whose seeds agree best with the ground truth on the validation split (mean AUROC for its toxic texts; Spearman where validation holds one class)",
  }),
  control: s.boolean({ default: true, description: "also train against the random-head control (irl's 'random' variant)" }),
  seeds: s.nullable(s.integer({ min: 1 }), { default: null, description: 'PPO runs per reward; null: as many as rlhf.seeds' }),
  total_steps: s.nullable(s.integer({ min: 1 }), { default: null, description: "PPO steps per run; null: rlhf.total_steps (every other PPO setting is rlhf's)" }),
  benchmark_prompts: s.integer({ min: 1, default: 188, description: 'held-out (curate test split) prompts every policy is judged on, label-balanced' }),
  samples_per_prompt: s.integer({ min: 1, default: 4 }),
  independent_judge: s.nullable(s.string({ nonEmpty: true }), {
    default: null,
    description: "a toxicity classifier (hub id or folder) independent of the ground truth; null: the demo world's word list",
  }),
  independent_judge_label: s.string({ nonEmpty: true, default: 'toxic', description: "the independent classifier's toxic label" }),
  bootstrap_resamples: s.integer({ min: 1, default: 1000 }),
  served_policies: s.array(s.object({
    name: s.string({ nonEmpty: true, description: "shown as 'served:<name>'" }),
    model: s.string({ nonEmpty: true, description: 'openai:URL#MODEL: a policy on an OpenAI-compatible server (vLLM ...) with the base model\'s tokenizer' }),
    concurrency: s.integer({ min: 1, default: DEFAULT_CLIENT_SETTINGS.concurrency, description: 'requests in flight at once' }),
    requests_per_second: s.number({ min: 0, default: DEFAULT_CLIENT_SETTINGS.requestsPerSecond, description: 'requests started per second at most; 0: no limit' }),
    timeout_s: s.number({ min: 0, exclusiveMin: true, default: DEFAULT_CLIENT_SETTINGS.timeoutMs / 1000, description: 'the limit of one attempt of a request' }),
    retries: s.integer({ min: 0, default: DEFAULT_CLIENT_SETTINGS.maxRetries, description: 'attempts after the first for failures that may pass' }),
    api_key_env: s.string({ nonEmpty: true, default: 'OPENAI_API_KEY', description: "the environment variable holding the server's API key" }),
  }), { default: [], description: 'models on servers benchmarked beside the run\'s own policies (sampled and asked for log-likelihoods there)' }),
});

type Settings = Infer<typeof reuseSchema>;
type RlhfSettings = Infer<typeof rlhfSchema>;
type ToxicitySettings = Infer<typeof toxicitySchema>;

/** What choosing reads of irl's summary (IrlSummary has it all). */
interface ChoiceInput {
  variants: readonly (Pick<IrlVariantSummary, 'name' | 'kind' | 'trained'> & { runs: readonly (Pick<IrlRun, 'seed' | 'reward'> & { validation: Partial<ValidationFigures> })[] })[];
}

type ChoiceRun = ChoiceInput['variants'][number]['runs'][number];

/**
 * The validation figure rewards are chosen by, judged by the ground truth of the continuation
 * alone (with the prompt, for runs judged only so): AUROC for the texts it calls toxic where every
 * run has one, else Spearman. Most validation texts are not toxic, so Spearman mostly asks how a
 * reward orders the ground truth's small differences among clean texts, which is not what it was
 * recovered for: on one demo run, the dense probe led by Spearman (0.225 to the whole-model
 * student's 0.186) while the student led by AUROC on validation (0.946 to 0.785) and on the test
 * texts (0.904 to 0.827).
 */
function choiceFigure(runs: readonly ChoiceRun[]): { name: string; of: (run: ChoiceRun) => number } {
  const aurocOf = (run: ChoiceRun) => run.validation.aurocContinuation ?? run.validation.auroc ?? null;
  if (runs.length > 0 && runs.every((run) => aurocOf(run) !== null)) return { name: 'AUROC for its toxic texts', of: (run) => aurocOf(run)! };
  return { name: 'Spearman', of: (run) => run.validation.spearmanContinuation ?? run.validation.spearman ?? -Infinity };
}

/** A reward a fresh policy is trained against. */
interface ChosenReward {
  policy: string;
  kind: 'recovered' | 'control';
  variant: string;
  rewardSeed: number;
  folder: string;
  chosenBy: string;
}

/** The variants and seeds to reuse, chosen on the validation split only. */
export function chooseRewards(irl: ChoiceInput, irlDir: string, settings: Pick<Settings, 'variants' | 'control'>): ChosenReward[] {
  const saved = irl.variants.filter((v) => v.trained && v.runs.every((r) => r.reward !== null));
  const figure = choiceFigure(saved.flatMap((v) => v.runs));
  const meanFigure = (v: (typeof saved)[number]) => mean(v.runs.map(figure.of));
  const named = settings.variants.map((name) => {
    if (name === 'best') {
      const best = [...saved].sort((a, b) => meanFigure(b) - meanFigure(a))[0];
      if (!best) throw new PipelineError('reuse: irl trained no reward model to reuse; add a trained variant to irl.variants');
      return { variant: best, why: `best trained variant by mean validation ${figure.name} (${meanFigure(best).toFixed(3)}); ` };
    }
    const variant = saved.find((v) => v.name === name);
    if (!variant) throw new PipelineError(`reuse: '${name}' is not a trained irl variant with saved reward models; choose from ${saved.map((v) => v.name).join(', ')} or 'best'`);
    return { variant, why: '' };
  });
  const unique = named.filter((n, i) => named.findIndex((m) => m.variant.name === n.variant.name) === i);
  const chosen: ChosenReward[] = unique.map(({ variant, why }) => {
    const run = [...variant.runs].sort((a, b) => figure.of(b) - figure.of(a))[0]!;
    return {
      policy: `irl:${variant.name}`, kind: 'recovered', variant: variant.name, rewardSeed: run.seed!, folder: join(irlDir, run.reward!),
      chosenBy: `${why}seed ${run.seed} of ${variant.runs.length}: the highest ${figure.name} by the ground truth on the validation split (${figure.of(run).toFixed(3)})`,
    };
  });
  if (settings.control) {
    const random = irl.variants.find((v) => v.kind === 'random');
    if (!random?.runs[0]?.reward) throw new PipelineError("reuse: reuse.control needs irl's random-head variant (kind 'random'); add it to irl.variants or set reuse.control: false");
    chosen.push({ policy: `control:${random.name}`, kind: 'control', variant: random.name, rewardSeed: random.runs[0].seed!, folder: join(irlDir, random.runs[0].reward), chosenBy: 'seed 0: an untrained head, nothing to choose' });
  }
  return chosen;
}

/** A recovered reward as PPO's reward: its scores of the rollouts as it was trained to read them, standardised. */
function recoveredRolloutReward(model: RewardModel, input: RewardInput, standardise: { mean: number; sd: number }) {
  return (rollouts: readonly Rollout[]) =>
    model.scoreRows(rollouts.map((r) => rewardInputIds(r.promptIds, { ids: r.responseIds, text: r.response }, input))).map((x) => (x - standardise.mean) / standardise.sd);
}

/** Mean and standard deviation of the reward over the IRL training texts. */
function standardisation(model: RewardModel, lines: readonly DemonstrationLine[], input: RewardInput): { mean: number; sd: number } {
  const scores = model.scoreRows(rewardRows(lines.filter((l) => l.split === 'train'), input).rows);
  const m = mean(scores);
  const sd = Math.sqrt(mean(scores.map((x) => (x - m) ** 2)));
  return { mean: m, sd: sd > 0 ? sd : 1 };
}

/** The folder name of a policy: 'irl:paper' → 'irl-paper'. */
const folderOf = (policy: string) => policy.replace(/[^A-Za-z0-9_.-]/g, '-');

/** The judge independent of the ground truth: a classifier, or the demo world's word list. */
async function independentJudge(ctx: StageContext<Settings>): Promise<{ judge: ToxicityJudge; description: string }> {
  const source = ctx.config.independent_judge;
  if (source === null) {
    const file = join(ctx.stageDir('world'), WORLD_FILES.lexicon);
    if (!existsSync(file)) throw new PipelineError('reuse: there is no demo world word list to judge with; set reuse.independent_judge to a toxicity classifier (e.g. facebook/roberta-hate-speech-dynabench-r4-target, label hate)');
    const { words } = JSON.parse(readFileSync(file, 'utf8')) as { words: { word: string; rating: number }[] };
    const lexicon = new LexiconReward(Object.fromEntries(words.map(({ word, rating }) => [word, Math.max(1, rating)])));
    return { judge: (texts) => lexicon.score(texts).scores.map((score) => (score < 0 ? 1 : 0)), description: `the demo world's word list (${words.length} words): toxic when it has any of them` };
  }
  const resolved = await resolveModelDetails(source);
  const classifier = loadClassifier(resolved.folder).model;
  classifier.eval();
  const reward = new ClassifierReward(classifier, Tokenizer.fromFolder(resolved.folder), { label: ctx.config.independent_judge_label, score: 'negative-probability', batchSize: 64 });
  return { judge: (texts) => reward.score(texts).scores.map((score) => -score), description: `${source}: P(${ctx.config.independent_judge_label})` };
}

export const reuseStage = defineStage({
  name: 'reuse',
  configKey: 'reuse',
  configSchema: reuseSchema,
  dependsOn: ['world', 'base-model', 'ground-truth', 'curate', 'base-toxicity', 'rlhf', 'demonstrations', 'irl'],
  // 2: rewards chosen by validation AUROC for the toxic texts where irl measured it. 3: intervals
  // over seeds cut to what each figure can take.
  version: '3',
  description: 'RLHF fresh policies with the recovered rewards and a random control; benchmark their toxicity',
  inputs: (ctx) => [join(ctx.stageDir('curate'), CURATED_FILE), join(ctx.stageDir('irl'), IRL_SUMMARY_FILE), join(ctx.stageDir('demonstrations'), DEMONSTRATIONS_FILE)],
  async run(ctx) {
    const rlhf = ctx.runConfig.rlhf as RlhfSettings;
    const toxicity = ctx.runConfig.base_toxicity as ToxicitySettings;
    const seeds = ctx.config.seeds ?? rlhf.seeds;
    const config: PpoConfig = { ...ppoConfigOf(rlhf), totalSteps: ctx.config.total_steps ?? rlhf.total_steps };
    const irlDir = ctx.stageDir('irl');
    const irl = JSON.parse(readFileSync(join(irlDir, IRL_SUMMARY_FILE), 'utf8')) as IrlSummary;
    const chosen = chooseRewards(irl, irlDir, ctx.config);
    const lines = readJsonLines<DemonstrationLine>(join(ctx.stageDir('demonstrations'), DEMONSTRATIONS_FILE));
    const rows = curatedRows(ctx.stageDir('curate'));
    const prompts: PromptExample[] = rows.filter((row) => row.split === 'train').map((row) => ({ prompt: promptOf(row) }));
    const baseFolder = modelFolderOf(ctx.stageDir('base-model'));
    const groundTruth = new CachedReward(groundTruthReward(ctx).reward);

    chosen.forEach((reward, r) => {
      const model = loadRewardModel(reward.folder);
      // What the variant's reward models were trained to read (runs before irl v8 record only the section's).
      const input = irl.variants.find((v) => v.name === reward.variant)?.rewardInput ?? irl.rewardInput;
      const score = recoveredRolloutReward(model, input, standardisation(model, lines, input));
      for (let seed = 0; seed < seeds; seed++) {
        ctx.signal.throwIfAborted();
        trainOnReward(ctx, { reward, seed, offset: (r * seeds + seed) * config.totalSteps, config, prompts, baseFolder, score, groundTruth });
      }
      model.classifier.dispose();
    });

    const judge = await independentJudge(ctx);
    const heldOut = balancedSample(rows.filter((row) => row.split === 'test'), ctx.config.benchmark_prompts, ctx.rng.fork('eval prompts'));
    if (heldOut.length === 0) throw new PipelineError('reuse: the curated data has no test prompts to benchmark on; raise curate.test_fraction');
    const seedList = Array.from({ length: seeds }, (_, seed) => seed);
    const policies: PolicyToBenchmark[] = [
      { name: 'base', kind: 'base', reward: null, variant: null, rewardSeed: null, chosenBy: null, folders: [{ seed: null, folder: baseFolder }] },
      {
        name: 'ground-truth', kind: 'ground-truth', reward: `the ground truth (${rlhf.reward}), the rlhf stage's experts`, variant: null, rewardSeed: null, chosenBy: null,
        folders: Array.from({ length: rlhf.seeds }, (_, seed) => ({ seed, folder: join(ctx.stageDir('rlhf'), `seed-${seed}`, 'policy') })),
      },
      ...chosen.map((c) => ({
        name: c.policy, kind: c.kind, reward: `irl variant ${c.variant}, seed ${c.rewardSeed}, standardised`, variant: c.variant, rewardSeed: c.rewardSeed, chosenBy: c.chosenBy,
        folders: seedList.map((seed) => ({ seed, folder: join(ctx.dir, folderOf(c.policy), `seed-${seed}`, 'policy') })),
      })),
    ];
    const names = ctx.config.served_policies.map((p) => p.name);
    const repeated = names.find((name, i) => names.indexOf(name) !== i);
    if (repeated !== undefined) throw new PipelineError(`reuse.served_policies names '${repeated}' twice; give each served policy its own name`);
    // A served policy's answers are cached in the checkpoint folder, so a resumed stage asks only for the rest.
    const served = ctx.config.served_policies.map((p) => ({
      name: `served:${p.name}`,
      model: openServedModel(p.model, {
        tokenizer: Tokenizer.fromFolder(baseFolder), cacheFile: join(ctx.checkpointDir, `${folderOf(`served:${p.name}`)}.jsonl`), apiKeyEnv: p.api_key_env,
        client: { concurrency: p.concurrency, requestsPerSecond: p.requests_per_second, timeoutMs: p.timeout_s * 1000, maxRetries: p.retries },
      }),
    }));
    for (const p of served) {
      policies.push({ name: p.name, kind: 'served', reward: `unknown: served by ${describeRemoteModel(p.model.client.remote)}`, variant: null, rewardSeed: null, chosenBy: null, folders: [{ seed: null, served: p.model }] });
    }
    let benchmark;
    try {
      benchmark = await runToxicityBenchmark({
        prompts: heldOut.map(promptOf),
        policies,
        baseFolder,
        judges: { groundTruth: (texts) => groundTruth.score(texts).scores.map((score) => -score), independent: judge.judge },
        settings: {
          samples_per_prompt: ctx.config.samples_per_prompt, batch_size: toxicity.batch_size, max_new_tokens: toxicity.max_new_tokens, temperature: toxicity.temperature,
          top_k: toxicity.top_k, top_p: toxicity.top_p, maxPromptTokens: toxicity.max_prompt_tokens, threshold: toxicity.threshold, bootstrapResamples: ctx.config.bootstrap_resamples,
        },
        rng: ctx.rng.fork('benchmark'),
        signal: ctx.signal,
        log: (message) => ctx.log.info(message),
      });
    } finally {
      served.forEach((p) => p.model.close());
    }
    const summary: ReuseSummary = {
      benchmarkPrompts: heldOut.length,
      samplesPerPrompt: ctx.config.samples_per_prompt,
      threshold: toxicity.threshold,
      judges: { groundTruth: 'the ground-truth classifier: P(toxic) of the continuation alone', independent: judge.description },
      normalisation: "(r − mean) / sd over the IRL training texts (monotone), then PPO's running scaling as for the ground truth",
      ...benchmark,
      served: Object.fromEntries(served.map((p) => [p.name, p.model.provenance])),
      curves: 'metrics.jsonl',
    };
    writeFileAtomic(join(ctx.dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    return headline(summary);
  },
});

interface ReuseRun {
  reward: ChosenReward;
  seed: number;
  /** Added to the PPO step, so metrics.jsonl's steps are unique across runs. */
  offset: number;
  config: PpoConfig;
  prompts: readonly PromptExample[];
  baseFolder: string;
  score: (rollouts: readonly Rollout[]) => number[];
  groundTruth: CachedReward;
}

/** One PPO run against a recovered reward, the ground truth logged beside it; saved as <policy>/seed-<k>/policy. */
function trainOnReward(ctx: StageContext<Settings>, run: ReuseRun): void {
  const { reward, seed, offset } = run;
  const loaded = loadPpoPolicy(run.baseFolder, run.config.numLayersUnfrozen, ctx.rng.fork(`${reward.policy} seed ${seed}`));
  const result = trainPpo({
    hydra: loaded.hydra,
    tokenizer: loaded.tokenizer,
    prompts: run.prompts,
    reward: run.score,
    groundTruth: (rollouts) => run.groundTruth.score(rollouts.map((r) => continuationAlone(r.response))).scores,
    config: run.config,
    rng: ctx.rng.fork(`${reward.policy} seed ${seed}`),
    checkpointDir: join(ctx.checkpointDir, folderOf(reward.policy), `seed-${seed}`),
    signal: ctx.signal,
    onResume: (step) => ctx.metrics.discardAfter(offset + step, offset + run.config.totalSteps),
    onMetrics: (metrics, step) => ctx.metrics.write({ policy: reward.policy, seed, ppo_step: step, ...metrics }, offset + step),
    onWarning: (message) => ctx.log.warn(`${reward.policy} seed ${seed}: ${message}`),
  });
  savePpoPolicy(loaded, run.baseFolder, join(ctx.dir, folderOf(reward.policy), `seed-${seed}`));
  loaded.hydra.dispose();
  const last = result.last;
  ctx.log.info(`${reward.policy} seed ${seed}: ${result.steps} PPO steps; last round: proxy reward ${fmt(last['rollout/reward/mean'])}, ground truth ${fmt(last['rollout/ground_truth/mean'])}, KL ${fmt(last['rollout/kl/per_sequence'])} nats`);
}

const fmt = (x: number | null | undefined) => (x === undefined || x === null ? 'n/a' : x.toFixed(3));

/** The stage's headline: each policy's toxic ratio by the ground truth (mean over seeds), and the reductions. */
function headline(summary: ReuseSummary) {
  return {
    toxicRatio: Object.fromEntries(summary.policies.map((p) => [p.name, p.acrossSeeds['toxicRatio.groundTruth'].mean])),
    reductionFraction: Object.fromEntries(summary.reductionFraction.map((r) => [r.policy, r.estimate])),
  };
}
