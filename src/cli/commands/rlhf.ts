/**
 * `irlens rlhf MODEL --reward CLASSIFIER --prompts FILE --out DIR`: PPO on its own, outside a
 * pipeline run. The policy is trained against a classifier's −P(label) — shaped against each
 * prompt's human continuation when the prompts have one (the paper's reward), raw otherwise — and
 * saved as a Hugging Face folder DIR/policy (with DIR/value_head beside it).
 *
 * Settings are the pipeline's `rlhf` section (snake_case, trlx's names): from --config FILE (YAML
 * or JSON, the section itself or a run config holding one) and --set key=value. Checkpoints go to
 * DIR.checkpoints/ every round; rerunning the same command after a kill continues from the last
 * one bit for bit, and the folder is removed once DIR is saved.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { collect, emit, modelFolder, withJson, withRevision } from '../options.js';
import { collectSettings, toxicityScorer } from '../settings.js';
import { loopProgress, type LoopProgress } from '../progress.js';

interface RlhfFlags {
  reward: string;
  prompts: string;
  out: string;
  label: string;
  rewardKind: 'shaped' | 'raw' | 'continuation' | 'auto';
  config?: string;
  set?: string[];
  seed: number;
  json?: boolean;
  revision?: string;
}

export function registerRlhf(program: Command): void {
  const command = program
    .command('rlhf')
    .argument('<model>', 'the causal LM to train (folder or hub id), with its tokenizer')
    .description('Train a causal LM with PPO against a classifier reward and save it as a Hugging Face folder; rerun to resume.')
    .requiredOption('-r, --reward <classifier>', 'the sequence classifier whose label the reward penalises (folder or hub id)')
    .requiredOption('-p, --prompts <file>', 'prompts: CSV, JSONL or Parquet with prompt (and original_output) columns, or curated.jsonl')
    .requiredOption('-o, --out <dir>', 'where the policy is saved (checkpoints go to <dir>.checkpoints while training)')
    .option('--label <name>', 'the classifier label the reward penalises', 'toxic')
    .addOption(new Option('--reward-kind <kind>', "'shaped' against the human continuation (the paper's), 'raw' (prompt + sample), 'continuation' (the sample alone), or 'auto' (shaped when every prompt has one)").choices(['shaped', 'raw', 'continuation', 'auto']).default('auto'))
    .option('--config <file>', "PPO settings: YAML/JSON of the pipeline's rlhf section (or a run config with an rlhf: section)")
    .option('--set <key=value>', 'override one rlhf setting, e.g. --set total_steps=200 or rlhf.total_steps=200 (repeatable)', collect)
    .option('--seed <n>', 'seed of the value head and every random stream', (v) => Number.parseInt(v, 10), 0)
    .action((model: string, flags: RlhfFlags) => rlhfCommand(model, flags));
  withRevision(command);
  withJson(command);
}

async function rlhfCommand(spec: string, flags: RlhfFlags): Promise<void> {
  const started = Date.now();
  const out = resolve(flags.out);
  const checkpointDir = join(dirname(out), `${basename(out)}.checkpoints`);
  const { ppoConfigOf, rolloutReward } = await import('../../pipeline/stages/index.js');
  const settings = await resolveSettings(flags);
  const config = ppoConfigOf(settings);
  const policyFolder = await modelFolder(spec, flags.revision);
  const rewardFolder = await modelFolder(flags.reward, flags.revision);
  const prompts = await readPrompts(flags.prompts);
  const kind = flags.rewardKind === 'auto' ? (prompts.every((p) => p.reference !== null) ? 'shaped' : 'raw') : flags.rewardKind;
  if (kind === 'shaped' && prompts.some((p) => p.reference === null)) {
    throw new CliError(`${flags.prompts}: the shaped reward needs each prompt's human continuation (an original_output or continuation column); pass --reward-kind raw, or add it`);
  }

  const { Rng } = await import('../../nn/index.js');
  const { CachedReward } = await import('../../reward/index.js');
  const { loadPpoPolicy, savePpoPolicy, trainPpo, plannedSteps } = await import('../../rlhf/index.js');
  const { writeFileAtomic } = await import('../../io/atomic.js');

  const scorer = new CachedReward(await toxicityScorer(rewardFolder, flags.label, 'negative-probability'));
  const rng = new Rng(flags.seed);
  const loaded = loadPpoPolicy(policyFolder, config.numLayersUnfrozen, rng);

  let progress: LoopProgress | undefined;
  let result;
  try {
    result = trainPpo({
      hydra: loaded.hydra,
      tokenizer: loaded.tokenizer,
      prompts,
      reward: rolloutReward(kind, scorer),
      config,
      rng,
      checkpointDir,
      onResume: (step) => {
        if (step > 0) process.stderr.write(`resuming from the checkpoint after step ${step} in ${checkpointDir}\n`);
      },
      onMetrics: (metrics, step) => {
        progress ??= loopProgress('rlhf', plannedSteps(config), { unit: 'steps' });
        if (metrics['rollout/reward/mean'] !== undefined) {
          progress.log(`step ${step}: reward ${metrics['rollout/reward/mean'].toFixed(4)}, KL ${metrics['rollout/kl/per_sequence']!.toFixed(3)} nats, coefficient ${metrics['rollout/kl_coef']!.toPrecision(3)}`);
        } else progress.update(step, `loss ${metrics['ppo/loss/total']!.toFixed(4)}`);
      },
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
    });
  } finally {
    progress?.stop();
  }
  const saved = savePpoPolicy(loaded, policyFolder, out);
  const summary = {
    out, policy: saved.policy, valueHead: saved.valueHead, reward: { classifier: rewardFolder, label: flags.label, kind },
    prompts: prompts.length, steps: result.steps, rounds: result.rounds, resumedFromStep: result.resumedFromStep, klCoef: result.klCoef,
    last: result.last, seconds: (Date.now() - started) / 1000, settings,
  };
  writeFileAtomic(join(out, 'rlhf.json'), `${JSON.stringify(summary, null, 2)}\n`);
  rmSync(checkpointDir, { recursive: true, force: true });
  emit(flags.json, summary, () => [
    `PPO: ${summary.steps} steps in ${summary.rounds} rounds (${summary.seconds.toFixed(1)} s); last round reward ${result.last['rollout/reward/mean']?.toFixed(4)}, KL ${result.last['rollout/kl/per_sequence']?.toFixed(3)} nats`,
    `saved ${saved.policy} (value head: ${saved.valueHead})`,
  ]);
}

/** The rlhf section from --config, then --set key=value (or rlhf.key=value), validated with the pipeline's schema. */
async function resolveSettings(flags: RlhfFlags) {
  const { rlhfSchema } = await import('../../pipeline/stages/index.js');
  let fromFile: Record<string, unknown> = {};
  if (flags.config !== undefined) {
    if (!existsSync(flags.config)) throw new CliError(`--config ${flags.config}: no such file`);
    const document = (await import('yaml')).parse(readFileSync(flags.config, 'utf8')) as Record<string, unknown> | null;
    fromFile = (document && typeof document.rlhf === 'object' ? document.rlhf : document ?? {}) as Record<string, unknown>;
  }
  const assignments = (flags.set ?? []).map((assignment) => (assignment.startsWith('rlhf.') ? assignment : `rlhf.${assignment}`));
  return (await collectSettings({ rlhf: rlhfSchema }, assignments, { rlhf: fromFile })).rlhf;
}

/** Prompts (and their human continuations) from any file the data loaders read; of irlens's curated.jsonl, the training split. */
async function readPrompts(file: string): Promise<{ prompt: string; reference: string | null }[]> {
  if (!existsSync(file)) throw new CliError(`--prompts ${file}: no such file`);
  const { loadFile } = await import('../../data/index.js');
  const { rows, file: loaded } = await loadFile(file);
  const curated = ['split', 'prompt', 'continuation'].every((column) => loaded.columns.includes(column));
  const prompts = curated
    ? (await import('../../io/json-lines.js')).readJsonLines<{ split: string; prompt: string; continuation: string }>(file)
      .filter((row) => row.split === 'train').map((row) => ({ prompt: row.prompt, reference: row.continuation }))
    : rows.map((row) => ({ prompt: row.prompt ?? row.text, reference: row.continuation ?? null }));
  if (prompts.length === 0) throw new CliError(`--prompts ${file} holds no${curated ? ' training' : ''} prompts`);
  return prompts;
}
