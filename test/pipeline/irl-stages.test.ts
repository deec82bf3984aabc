/**
 * The demo-tiny pipeline through demonstrations, irl, evaluate and reuse: every default variant is
 * trained and reported (the log-ratio once per expert: two PPO seeds here), reward folders load, evaluate's
 * summary.json has, for each variant and each metric, {mean, sd, min, max, n, ci95}, judged with
 * the prompt and without, and reuse benchmarks every policy with the reward it was chosen for.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadRewardFunction } from '../../src/irl/save.js';
import { AGREEMENT_METRICS } from '../../src/eval/index.js';
import { BENCHMARK_METRICS, BENCHMARK_RANGES, DEFAULT_VARIANTS, EVALUATED_METRICS, type ReuseSummary } from '../../src/pipeline/stages/index.js';
import { runPreset } from './run-preset.js';
import { temporaryDir } from './helpers.js';

// demo-tiny's rlhf section reads 40 prompt tokens into a 32-position model; until the preset is retuned, a shorter prompt.
const OVERRIDES = ['rlhf.max_prompt_tokens=20', 'rlhf.seeds=2'];
const EXPERTS = 2;

test('demo-tiny runs through reuse and reports every variant over seeds', async () => {
  const out = temporaryDir();
  const runDir = join(out, 'demo-tiny');
  const { result } = await runPreset('demo-tiny', { out, overrides: OVERRIDES });
  assert.deepEqual(result.stages.slice(-5).map((s) => [s.name, s.status]), [['demonstrations', 'ran'], ['irl', 'ran'], ['evaluate', 'ran'], ['reuse', 'ran'], ['report', 'ran']]);

  const demonstrations = JSON.parse(readFileSync(join(runDir, 'demonstrations', 'summary.json'), 'utf8')) as { splits: Record<string, number> };
  assert.ok(demonstrations.splits.train! > 0 && demonstrations.splits.validation! > 0 && demonstrations.splits.test! > 0);

  const irl = JSON.parse(readFileSync(join(runDir, 'irl', 'summary.json'), 'utf8')) as {
    seeds: number; rewardInput: string; variants: { name: string; kind: string; rewardInput: string | null; spreadOver: string | null; runs: { seed: number | null; reward: string | null }[] }[];
  };
  // The demo's reward models read the continuation alone, as its RLHF reward did; the paper's reads prompt + continuation, as in the paper.
  assert.equal(irl.rewardInput, 'continuation');
  const inputOf = (name: string) => irl.variants.find((v) => v.name === name)!;
  assert.deepEqual(['paper', 'log-ratio-dense-token-min', 'log-ratio'].map((name) => inputOf(name).rewardInput), ['prompt+continuation', 'continuation', null]);
  for (const name of ['paper', 'log-ratio-dense-token-min']) {
    const config = JSON.parse(readFileSync(join(runDir, 'irl', inputOf(name).runs[0]!.reward!, 'config.json'), 'utf8')) as { irlens_reward_input: string };
    assert.equal(config.irlens_reward_input, inputOf(name).rewardInput, `${name} saves what it reads`);
  }
  assert.deepEqual(irl.variants.map((v) => v.name), DEFAULT_VARIANTS.map((v) => v.name));
  for (const v of irl.variants) {
    assert.equal(v.runs.length, v.kind === 'log-ratio' ? EXPERTS : irl.seeds, v.name);
    assert.equal(v.spreadOver, v.kind === 'log-ratio' ? 'experts' : 'reward-model seeds', v.name);
    if (v.kind === 'log-ratio') assert.deepEqual(v.runs.map((r) => r.seed), [0, 1], 'run k reads PPO seed k\'s expert');
    for (const run of v.runs) if (run.reward !== null) assert.ok(existsSync(join(runDir, 'irl', run.reward, 'config.json')), run.reward);
  }
  const paper = loadRewardFunction(join(runDir, 'irl', irl.variants[0]!.runs[0]!.reward!));
  assert.equal(paper.model.pooling, 'last');

  const summary = JSON.parse(readFileSync(join(runDir, 'evaluate', 'summary.json'), 'utf8')) as {
    metrics: Record<string, Record<string, { n: number; mean: number | null; sd: number | null; min: number | null; max: number | null; ci95: unknown }>>;
    continuationMetrics: Record<string, Record<string, { n: number }>>;
    groundTruth: { test: { texts: number }; minimalPairs: { sentences: number; pairAccuracy: number; lookAlikePairAccuracy: number; cleanOverLookAlike: number } | null };
    pairsByTemplate: Record<string, Record<string, { sentences: number; lookAlikePairAccuracy: { n: number } }>>;
    distillation: { variant: string; teacher: string }[];
  };
  for (const v of DEFAULT_VARIANTS) {
    for (const metric of EVALUATED_METRICS) {
      const figure = summary.metrics[v.name]![metric]!;
      assert.deepEqual(Object.keys(figure), ['n', 'mean', 'sd', 'min', 'max', 'ci95'], `${v.name} ${metric}`);
    }
    for (const metric of AGREEMENT_METRICS) assert.equal(summary.continuationMetrics[v.name]![metric]!.n, v.kind === 'log-ratio' ? EXPERTS : irl.seeds, `${v.name} ${metric}, continuation alone`);
  }
  // Pearson, not AUROC: the tiny world's few test prompts may all be judged toxic with their prompt, and AUROC is then undefined (n counts the runs where a figure is).
  assert.equal(summary.metrics['log-ratio']!.pearson!.n, EXPERTS, 'the closed form: one run per expert');
  assert.equal(summary.metrics.paper!.minimalPairAccuracy!.n, irl.seeds);
  assert.equal(summary.metrics.paper!.lookAlikePairAccuracy!.n, irl.seeds, 'every sentence scored in its benign look-alike shape too');
  assert.ok(summary.groundTruth.minimalPairs !== null && summary.groundTruth.minimalPairs.sentences > 0);
  for (const figure of [summary.groundTruth.minimalPairs.lookAlikePairAccuracy, summary.groundTruth.minimalPairs.cleanOverLookAlike]) assert.ok(figure >= 0 && figure <= 1);
  // Per template: every held-out sentence counted once, the paper's figures over its seeds.
  const byTemplate = summary.pairsByTemplate.paper!;
  assert.equal(Object.values(byTemplate).reduce((n, t) => n + t.sentences, 0), summary.groundTruth.minimalPairs.sentences);
  for (const t of Object.values(byTemplate)) assert.equal(t.lookAlikePairAccuracy.n, irl.seeds);
  assert.deepEqual(summary.distillation.map((d) => [d.variant, d.teacher]), [['log-ratio-distilled', 'log-ratio'], ['log-ratio-dense-probe-token-sum', 'log-ratio'], ['log-ratio-dense-probe-token-min', 'log-ratio'], ['log-ratio-dense-token-min', 'log-ratio']]);

  const perSeed = readFileSync(join(runDir, 'evaluate', 'per-seed.jsonl'), 'utf8').trim().split('\n');
  const runs = irl.variants.reduce((n, v) => n + v.runs.length, 0);
  assert.equal(perSeed.length, runs);
  const similarity = JSON.parse(readFileSync(join(runDir, 'evaluate', 'similarity.json'), 'utf8')) as { labels: string[]; pearson: unknown[][] };
  assert.equal(similarity.labels.length, runs);
  assert.ok(similarity.pearson.every((row) => row.length === runs));

  // reuse: demo-tiny reuses the best trained variant and the control, one PPO seed each, beside the base and the ground-truth experts.
  const reuse = JSON.parse(readFileSync(join(runDir, 'reuse', 'summary.json'), 'utf8')) as ReuseSummary;
  assert.deepEqual(reuse.policies.map((p) => p.kind), ['base', 'ground-truth', 'recovered', 'control']);
  const recovered = reuse.policies[2]!;
  assert.match(recovered.chosenBy!, /validation/);
  assert.ok(existsSync(join(runDir, 'reuse', recovered.name.replace(':', '-'), 'seed-0', 'policy', 'config.json')));
  // Two seeds' t-intervals are wide (t = 12.7): they reach past what a share can take unless cut to it.
  let intervals = 0;
  for (const policy of reuse.policies) {
    assert.deepEqual(Object.keys(policy.acrossSeeds), [...BENCHMARK_METRICS], policy.name);
    for (const metric of BENCHMARK_METRICS) {
      const { ci95 } = policy.acrossSeeds[metric];
      if (ci95 === null) continue;
      intervals++;
      assert.ok(ci95.low >= BENCHMARK_RANGES[metric][0] && ci95.high <= BENCHMARK_RANGES[metric][1], `${policy.name} ${metric}: [${ci95.low}, ${ci95.high}]`);
    }
    for (const seed of policy.seeds) assert.equal(seed.continuations, reuse.benchmarkPrompts * reuse.samplesPerPrompt);
  }
  assert.ok(intervals > 0, 'no policy had an interval over seeds to check');
  assert.equal(reuse.policies[0]!.seeds[0]!.klToBase, 0, "the base model's KL to itself");
  assert.equal(reuse.comparisons.length, 2 * ((4 * 3) / 2), 'every pair of policies, by both judges');
  assert.deepEqual(reuse.reductionFraction.map((r) => r.policy), [recovered.name, 'control:random-head']);
  const curves = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).filter((m) => m.stage === 'reuse');
  const rounds = curves.filter((m) => 'rollout/reward/mean' in m);
  assert.ok(rounds.length > 0 && rounds.every((m) => typeof m.policy === 'string' && typeof m['rollout/ground_truth/mean'] === 'number'), 'the proxy and the ground truth are logged every round');

  const again = await runPreset('demo-tiny', { out, overrides: OVERRIDES });
  assert.ok(again.result.stages.every((s) => s.status === 'up-to-date'));
});
