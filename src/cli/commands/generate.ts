/**
 * `irlens generate MODEL --prompt TEXT ...`: continuations from a causal LM, sampled (seeded) or
 * greedy, in batches. With --json each result also carries the new tokens' ids and their
 * log-probabilities under the model's raw distribution. MODEL may be a served model
 * (openai:URL#MODEL, with --tokenizer): then the server generates, and the log-probabilities are
 * what it reports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { collect, emit, integer, modelFolder, number, withJson, withRevision } from '../options.js';
import { loopProgress } from '../progress.js';
import type { ServedProvenance } from '../../remote/index.js';

interface GenerateFlags {
  prompt: string[];
  maxNewTokens: number;
  minNewTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  greedy?: boolean;
  seed?: number;
  batchSize: number;
  maxPromptTokens?: number;
  json?: boolean;
  revision?: string;
  tokenizer?: string;
  apiKeyEnv: string;
}

export interface GenerateResult {
  model: string;
  /** For a served model: what its server was asked and answered. */
  served?: ServedProvenance;
  settings: {
    mode: 'greedy' | 'sample';
    maxNewTokens: number;
    minNewTokens: number;
    temperature?: number;
    topK?: number;
    topP?: number;
    seed?: number;
    batchSize: number;
    eosTokenId: number | number[] | null;
  };
  results: Array<{
    prompt: string;
    text: string;
    promptTokenIds: number[];
    tokenIds: number[];
    logProbs: number[];
    /** Whether the row ended by emitting eos (false: it reached --max-new-tokens). */
    finished: boolean;
  }>;
}

export function registerGenerate(program: Command): void {
  const command = program
    .command('generate')
    .argument('<model>', 'a causal-LM checkpoint folder, a Hugging Face model id, or a served model openai:URL#MODEL')
    .description('Generate continuations of prompts with a causal LM (seeded sampling by default, or --greedy).')
    .requiredOption('-p, --prompt <text>', 'a prompt (repeat for several)', collect)
    .option('--max-new-tokens <n>', 'generate at most this many tokens per prompt', integer(0), 32)
    .option('--min-new-tokens <n>', 'suppress the end-of-text token until this many tokens exist', integer(0), 0)
    .option('--temperature <t>', 'divide the logits by this before sampling (default 1)', number({ min: 0, exclusiveMin: true }))
    .option('--top-k <k>', 'sample among the k most likely tokens only (default 0: all)', integer(0))
    .option('--top-p <p>', 'nucleus sampling: the smallest set of tokens with this much probability (default 1: all)', number({ min: 0, max: 1, exclusiveMin: true }))
    .option('--greedy', 'take the most likely token at every step instead of sampling')
    .option('--seed <n>', 'seed of the sampling (default 0); the same seed and batch size give the same text', integer(0))
    .option('--batch-size <n>', 'prompts generated together', integer(1), 8)
    .addOption(new Option('--max-prompt-tokens <n>', 'keep only the last n tokens of each prompt').argParser(integer(1)))
    .option('--tokenizer <model>', "a served model's tokenizer (folder or hub id): cuts the prompts and reads the answers' token ids")
    .option('--api-key-env <name>', "a served model: the environment variable holding the server's API key, if it wants one", 'OPENAI_API_KEY')
    .action((model: string, flags: GenerateFlags) => generateCommand(model, flags));
  withRevision(command);
  withJson(command);
}

/** eos/pad from generation_config.json, as transformers' generate() reads them. */
function generationConfig(folder: string): { eosTokenId?: number | number[]; padTokenId?: number } {
  const file = join(folder, 'generation_config.json');
  if (!existsSync(file)) return {};
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const eos = json.eos_token_id;
    const pad = json.pad_token_id;
    const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    return {
      ...(isId(eos) || (Array.isArray(eos) && eos.length > 0 && eos.every(isId)) ? { eosTokenId: eos as number | number[] } : {}),
      ...(isId(pad) ? { padTokenId: pad } : {}),
    };
  } catch {
    return {}; // an unreadable generation_config.json only loses its defaults
  }
}

async function generateCommand(spec: string, flags: GenerateFlags): Promise<void> {
  const samplingFlags = (['temperature', 'topK', 'topP', 'seed'] as const).filter((key) => flags[key] !== undefined);
  if (flags.greedy && samplingFlags.length > 0) {
    const names = samplingFlags.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new CliError(`${names.join(', ')} ${names.length === 1 ? 'applies' : 'apply'} only to sampling; leave ${names.length === 1 ? 'it' : 'them'} out with --greedy`);
  }
  if (flags.minNewTokens > flags.maxNewTokens) throw new CliError(`--min-new-tokens (${flags.minNewTokens}) is larger than --max-new-tokens (${flags.maxNewTokens})`);
  const { isRemoteModel } = await import('../../remote/index.js');
  if (isRemoteModel(spec)) return generateServed(spec, flags);
  if (flags.tokenizer !== undefined) throw new CliError('--tokenizer is for served models (openai:URL#MODEL); a folder or hub id brings its own');
  const folder = await modelFolder(spec, flags.revision);
  const { loadCausalLM } = await import('../../models/load.js');
  const { generateText } = await import('../../models/generation.js');
  const { Tokenizer } = await import('../../text/index.js');
  const tokenizer = Tokenizer.fromFolder(folder);
  const { model, config } = loadCausalLM(folder, 'it cannot generate text; use `irlens score` for classifiers');
  const defaults = generationConfig(folder);
  const greedy = flags.greedy === true;
  const seed = flags.seed ?? 0;
  const sampling = greedy
    ? {}
    : {
        doSample: true,
        seed,
        ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
        ...(flags.topK !== undefined ? { topK: flags.topK } : {}),
        ...(flags.topP !== undefined ? { topP: flags.topP } : {}),
      };

  const prompts = flags.prompt;
  const results: GenerateResult['results'] = [];
  const progress = loopProgress('generate', prompts.length, { unit: 'prompts', mode: prompts.length > flags.batchSize ? undefined : 'silent' });
  try {
    progress.update(0);
    for (let start = 0; start < prompts.length; start += flags.batchSize) {
      const batch = prompts.slice(start, start + flags.batchSize);
      // The first batch uses the seed itself, so one batch gives what the library's generateText gives.
      const batchSampling = greedy || start === 0 ? sampling : { ...sampling, seed: `${seed}/${start}` };
      const out = generateText(model, tokenizer, batch, {
        maxNewTokens: flags.maxNewTokens,
        minNewTokens: flags.minNewTokens,
        ...defaults,
        ...batchSampling,
        ...(flags.maxPromptTokens !== undefined ? { maxPromptTokens: flags.maxPromptTokens } : {}),
      });
      batch.forEach((prompt, row) => {
        const tokenIds = out.newTokens[row]!;
        results.push({
          prompt,
          text: out.texts[row]!,
          promptTokenIds: out.sequences[row]!.slice(0, out.sequences[row]!.length - tokenIds.length),
          tokenIds,
          logProbs: out.logProbs[row]!,
          finished: out.finished[row]!,
        });
      });
      progress.update(Math.min(start + flags.batchSize, prompts.length));
    }
  } finally {
    progress.stop();
  }

  const result: GenerateResult = {
    model: folder,
    settings: {
      mode: greedy ? 'greedy' : 'sample',
      maxNewTokens: flags.maxNewTokens,
      minNewTokens: flags.minNewTokens,
      ...(greedy ? {} : { temperature: flags.temperature ?? 1, topK: flags.topK ?? 0, topP: flags.topP ?? 1, seed }),
      batchSize: flags.batchSize,
      eosTokenId: defaults.eosTokenId ?? config.eosTokenId ?? null,
    },
    results,
  };
  printResults(flags, result);
}

function printResults(flags: GenerateFlags, result: GenerateResult): void {
  emit(flags.json, result, () =>
    result.results.flatMap((r, i) => [
      `[${i + 1}] ${JSON.stringify(r.prompt)}`,
      `    → ${JSON.stringify(r.text)}  (${r.tokenIds.length} token${r.tokenIds.length === 1 ? '' : 's'}${r.finished ? ', ended at eos' : ''})`,
    ]),
  );
}

/** The server generates; prompts go as token ids of --tokenizer, one request per prompt (seeded by --seed and the prompt). */
async function generateServed(spec: string, flags: GenerateFlags): Promise<void> {
  if (flags.tokenizer === undefined) throw new CliError(`${spec} is a served model: add --tokenizer (its tokenizer's folder or hub id), which cuts the prompts and reads the token ids the server answers with`);
  const { openServedModel } = await import('../../remote/index.js');
  const { Tokenizer } = await import('../../text/index.js');
  const tokenizer = Tokenizer.fromFolder(await modelFolder(flags.tokenizer, flags.revision));
  const served = openServedModel(spec, { tokenizer, cacheFile: null, apiKeyEnv: flags.apiKeyEnv });
  const greedy = flags.greedy === true;
  const seed = flags.seed ?? 0;
  const sampling = { samples: 1, maxNewTokens: flags.maxNewTokens, minNewTokens: flags.minNewTokens, greedy, temperature: flags.temperature ?? 1, topK: flags.topK ?? 0, topP: flags.topP ?? 1 };
  const promptIds = flags.prompt.map((prompt) => tokenizer.encode(prompt).slice(-(flags.maxPromptTokens ?? Infinity)));
  const answers = await served.generate(promptIds, sampling, String(seed));
  printResults(flags, {
    model: spec,
    served: served.provenance,
    settings: {
      mode: greedy ? 'greedy' : 'sample', maxNewTokens: flags.maxNewTokens, minNewTokens: flags.minNewTokens,
      ...(greedy ? {} : { temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, seed }),
      batchSize: flags.batchSize, eosTokenId: null,
    },
    results: flags.prompt.map((prompt, i) => {
      const { ids, text, logProbs, finished } = answers[i]![0]!;
      return { prompt, text, promptTokenIds: promptIds[i]!, tokenIds: ids, logProbs, finished };
    }),
  });
}
