/**
 * `irlens irl --expert MODEL --baseline MODEL --prompts FILE --out DIR`: IRL on its own, outside a
 * pipeline run. Both models continue every prompt, the prompts are split into train / validation /
 * test, and every variant of the pipeline's irl stage recovers a reward per seed: DIR holds
 * demonstrations.jsonl, <variant>/seed-<k>/reward (Hugging Face folders) with scores.jsonl, and
 * summary.json. Settings are the pipeline's `demonstrations` and `irl` sections (--set irl.epochs=4).
 *
 * The expert may be a model on an OpenAI-compatible server (`openai:URL#MODEL`, e.g. vLLM): its
 * continuations and, for the log-ratio variants, its log-likelihoods are asked of the server, and
 * each answer is kept in DIR.cache until DIR is complete, so a stopped run asks only for the rest.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { DEFAULT_CLIENT_SETTINGS } from '../../remote/completions-client.js';
import type { ServedModel } from '../../remote/index.js';
import { collect, emit, integer, modelFolder, number, withJson, withRevision } from '../options.js';
import { collectSettings, toxicityScorer } from '../settings.js';
import { readPromptRows } from '../texts.js';

interface IrlFlags {
  expert: string;
  baseline: string;
  prompts: string;
  out: string;
  groundTruth?: string;
  label: string;
  seeds?: number;
  set?: string[];
  seed: number;
  concurrency: number;
  requestsPerSecond: number;
  timeout: number;
  retries: number;
  apiKeyEnv: string;
  json?: boolean;
  revision?: string;
}

export function registerIrl(program: Command): void {
  const command = program
    .command('irl')
    .description("Recover the reward an expert LM was trained for, from its continuations against a baseline's: every variant, over seeds.")
    .requiredOption('-e, --expert <model>', 'the RLHF-trained causal LM: a folder, a hub id, or a served model openai:URL#MODEL')
    .requiredOption('-b, --baseline <model>', 'the model it was trained from, with the same tokenizer (folder or hub id)')
    .requiredOption('-p, --prompts <file>', 'prompts: JSONL/CSV/Parquet with a prompt (or text) column; of curated.jsonl, the test split (prompts RLHF never saw)')
    .requiredOption('-o, --out <dir>', 'a new folder for the demonstrations and the recovered rewards')
    .option('--ground-truth <classifier>', 'judge every continuation with this classifier (−P(label)), for the figures on validation')
    .option('--label <name>', 'the ground-truth label that marks a bad text', 'toxic')
    .option('--seeds <n>', 'reward models per variant (irl.seeds)', integer(0))
    .option('--set <key=value>', 'override a demonstrations or irl setting, e.g. --set irl.epochs=4 (repeatable)', collect)
    .option('--seed <n>', 'seed of the sampling, the split and every head', integer(0), 0)
    .option('--concurrency <n>', 'a served expert: requests in flight at once', integer(1), DEFAULT_CLIENT_SETTINGS.concurrency)
    .option('--requests-per-second <n>', 'a served expert: requests started per second at most (0: no limit)', number({ min: 0 }), DEFAULT_CLIENT_SETTINGS.requestsPerSecond)
    .option('--timeout <seconds>', 'a served expert: the limit of one attempt of a request', number({ min: 0, exclusiveMin: true }), DEFAULT_CLIENT_SETTINGS.timeoutMs / 1000)
    .option('--retries <n>', 'a served expert: attempts after the first for failures that may pass (dropped connections, timeouts, 429, 5xx)', integer(0), DEFAULT_CLIENT_SETTINGS.maxRetries)
    .option('--api-key-env <name>', "a served expert: the environment variable holding the server's API key, if it wants one", 'OPENAI_API_KEY')
    .action((flags: IrlFlags) => irlCommand(flags));
  withRevision(command);
  withJson(command);
}

async function irlCommand(flags: IrlFlags): Promise<void> {
  const out = resolve(flags.out);
  if (existsSync(out) && readdirSync(out).length > 0) throw new CliError(`--out ${flags.out} exists and is not empty; choose a new folder`);
  const { demonstrate, demonstrationsSchema, irlSchema, recoverRewards } = await import('../../pipeline/stages/index.js');
  const overrides = [...(flags.seeds !== undefined ? [`irl.seeds=${flags.seeds}`] : []), ...(flags.set ?? [])];
  const settings = await collectSettings({ demonstrations: demonstrationsSchema, irl: irlSchema }, overrides);
  const prompts = (await readPromptRows(flags.prompts, '--prompts', 'test')).slice(0, settings.demonstrations.max_prompts).map((row, i) => ({ id: row.id ?? String(i), prompt: row.prompt ?? row.text }));
  const baselineFolder = await modelFolder(flags.baseline, flags.revision);
  const cacheDir = `${out}.cache`;
  const expert = await expertOf(flags, baselineFolder, cacheDir);
  const reward = flags.groundTruth === undefined ? undefined : await toxicityScorer(await modelFolder(flags.groundTruth, flags.revision), flags.label, 'negative-probability');
  const { Rng } = await import('../../nn/index.js');
  const { writeFileAtomic } = await import('../../io/atomic.js');
  const rng = new Rng(flags.seed);

  const began = Date.now();
  // Written beside DIR and renamed into place, so a failed or stopped run leaves no half-made DIR.
  const partial = `${out}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  let demonstrations: Awaited<ReturnType<typeof demonstrate>>;
  let recovered: Awaited<ReturnType<typeof recoverRewards>>;
  try {
    demonstrations = await demonstrate({ expert, baselineFolder, prompts, settings: settings.demonstrations, rng: rng.fork('demonstrations'), seed: flags.seed, reward });
    writeFileAtomic(join(partial, 'demonstrations.jsonl'), demonstrations.lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    recovered = await recoverRewards({
      settings: settings.irl, lines: demonstrations.lines, baseFolder: baselineFolder, expert,
      // β only scales the log-ratio; without a PPO run to read it from, 1 unless set.
      beta: settings.irl.beta ?? 1, worldDir: null, rng: rng.fork('irl'), outDir: partial,
      log: (message) => process.stderr.write(`${message}\n`),
    });
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  } finally {
    if ('served' in expert) expert.served.close();
  }
  const summary = { expert: 'folder' in expert ? expert.folder : expert.served.provenance, baseline: baselineFolder, groundTruth: flags.groundTruth ?? null, settings: settings.demonstrations, demonstrations: demonstrations.summary, ...recovered, seconds: (Date.now() - began) / 1000 };
  writeFileAtomic(join(partial, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  rmSync(out, { recursive: true, force: true });
  renameSync(partial, out);
  rmSync(cacheDir, { recursive: true, force: true });
  emit(flags.json, summary, () => [
    `${demonstrations.summary.prompts} prompts; ${recovered.pairs.train} training pairs; ${recovered.variants.length} variants × ${recovered.seeds} seeds in ${summary.seconds.toFixed(1)} s`,
    ...recovered.variants.map((v) => `  ${v.name}: validation expert-vs-baseline AUROC ${v.validationExpertAuroc.mean?.toFixed(3) ?? 'n/a'} (${v.validationExpertAuroc.n} runs)`),
    `saved in ${out}`,
  ]);
}

/** The expert as a folder, or as a served model whose answers are cached in cacheDir (read with the baseline's tokenizer). */
async function expertOf(flags: IrlFlags, baselineFolder: string, cacheDir: string): Promise<{ folder: string } | { served: ServedModel }> {
  const { isRemoteModel, openServedModel } = await import('../../remote/index.js');
  if (!isRemoteModel(flags.expert)) return { folder: await modelFolder(flags.expert, flags.revision) };
  const { Tokenizer } = await import('../../text/index.js');
  return {
    served: openServedModel(flags.expert, {
      tokenizer: Tokenizer.fromFolder(baselineFolder), cacheFile: join(cacheDir, 'served.jsonl'), apiKeyEnv: flags.apiKeyEnv,
      client: { concurrency: flags.concurrency, requestsPerSecond: flags.requestsPerSecond, timeoutMs: flags.timeout * 1000, maxRetries: flags.retries },
    }),
  };
}
