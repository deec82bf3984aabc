/** The `irlens` command line. Exit codes: 0 ok, 1 user error, 2 internal error. */
import { Command } from 'commander';
import { runDemo } from './demo.js';

const program = new Command()
  .name('irlens')
  .description('Recover the reward an RLHF-trained language model was optimised for, and measure how faithful it is.')
  .showHelpAfterError();

program
  .command('demo')
  .description('Run the offline demo (for now: the engine training a tiny GPT-NeoX; the pipeline stages are still to come).')
  .option('--steps <n>', 'training steps', '200')
  .option('--seed <n>', 'random seed', '0')
  .action((options: { steps: string; seed: string }) => runDemo({ steps: Number(options.steps), seed: Number(options.seed) }));

try {
  await program.parseAsync();
} catch (error) {
  console.error(`irlens: internal error: ${(error as Error).stack ?? error}`);
  process.exit(2);
}
