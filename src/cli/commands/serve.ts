/**
 * `irlens serve REWARD`: serves an irlens reward over HTTP until Ctrl-C or SIGTERM — a recovered
 * reward folder (`irlens irl`'s …/reward) or a sequence classifier read as the reward of a label —
 * with OpenRLHF's remote reward-model route, so `--reward.remote_url http://HOST:PORT/get_reward`
 * trains against it. The first signal stops taking requests and answers those in flight; a second
 * exits at once.
 */
import { Option, type Command } from 'commander';
import { REWARD_INPUTS, type RewardInput } from '../../irl/index.js';
import type { ServedReward } from '../../serve/served-reward.js';
import { CliError, EXIT_INTERRUPTED } from '../errors.js';
import { integer, modelFolder, withRevision, withServerOptions } from '../options.js';
import { toxicityScorer } from '../settings.js';

const SCORES = ['negative-logit', 'negative-probability', 'log-odds'] as const;

interface ServeFlags {
  port: number;
  host: string;
  batchSize: number;
  maxQueue: number;
  batchWaitMs: number;
  maxBodyBytes: number;
  label?: string;
  score?: (typeof SCORES)[number];
  rewardInput?: RewardInput;
  shaped?: boolean;
  revision?: string;
}

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .argument('<reward>', 'a recovered reward folder (irlens irl … /reward) or a sequence-classifier folder or hub id')
    .description('Serve a reward over HTTP: OpenRLHF\'s POST /get_reward, POST /score {"texts": [...]}, GET /health.')
    .option('--batch-size <n>', 'texts per forward pass, shared by concurrent requests', integer(1), 32)
    .option('--batch-wait-ms <ms>', 'how long a batch that is not full waits for more requests', integer(0), 5)
    .option('--max-queue <n>', 'texts that may wait to be scored; past it requests get 503', integer(1), 4096)
    .option('--label <name>', 'a classifier: the label the reward penalises (default "toxic")')
    .addOption(new Option('--score <kind>', 'a classifier: how the reward is read from it (default negative-logit)').choices(SCORES))
    .addOption(new Option('--reward-input <input>', "what the reward reads of OpenRLHF's query (default: the folder's irlens_reward_input, else prompt+continuation)").choices(REWARD_INPUTS))
    .option('--shaped', "/get_reward answers s(prompt + response) − s(prompt + label), OpenRLHF's label being the reference continuation")
    .action((reward: string, flags: ServeFlags) => serveCommand(reward, flags));
  withServerOptions(command, { port: 5000, maxBodyBytes: 16 * 2 ** 20 });
  withRevision(command);
}

/** The reward a folder holds, with what it reads and how /get_reward shapes it. */
async function servedReward(folder: string, flags: ServeFlags): Promise<ServedReward> {
  const { readRewardFolderConfig } = await import('../../serve/served-reward.js');
  const config = readRewardFolderConfig(folder);
  const common = { input: flags.rewardInput ?? config.rewardInput ?? 'prompt+continuation', shaped: flags.shaped === true };
  if (config.kind === 'classifier') {
    const [label, score] = [flags.label ?? 'toxic', flags.score ?? 'negative-logit'];
    return { reward: await toxicityScorer(folder, label, score, flags.batchSize), ...common, description: { kind: 'classifier', folder, label, score } };
  }
  if (flags.label !== undefined || flags.score !== undefined) {
    throw new CliError(`${folder} is a recovered reward (one output); --label and --score are for classifiers, so leave them out`);
  }
  const { loadRewardFunction } = await import('../../irl/index.js');
  const reward = loadRewardFunction(folder, { batchSize: flags.batchSize });
  return { reward, ...common, description: { kind: 'recovered-reward', folder, pooling: reward.model.pooling } };
}

async function serveCommand(spec: string, flags: ServeFlags): Promise<void> {
  const { RewardServer } = await import('../../serve/reward-server.js');
  const served = await servedReward(await modelFolder(spec, flags.revision), flags);
  const server = new RewardServer(served, { batchSize: flags.batchSize, maxQueue: flags.maxQueue, maxWaitMs: flags.batchWaitMs, maxBodyBytes: flags.maxBodyBytes });
  const { serveUntilSignal } = await import('../../serve/lifetime.js');
  await serveUntilSignal(server, {
    name: 'irlens serve', host: flags.host, port: flags.port, exitNow: EXIT_INTERRUPTED,
    describe: (url) => `${served.reward.name} (reads ${served.input}${served.shaped ? ', shaped' : ''}) on ${url}  (POST /get_reward, POST /score, GET /health; Ctrl-C stops)`,
  });
}
