/** The `irlens` program: its commands, each defined in commands/<name>.ts. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCurate } from './commands/curate.js';
import { registerDoctor } from './commands/doctor.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerGenerate } from './commands/generate.js';
import { registerInspect } from './commands/inspect.js';
import { registerIrl } from './commands/irl.js';
import { registerReport } from './commands/report.js';
import { registerRlhf } from './commands/rlhf.js';
import { registerRun } from './commands/run.js';
import { registerScore } from './commands/score.js';
import { registerServe } from './commands/serve.js';
import { registerServeLm } from './commands/serve-lm.js';
import { registerSft } from './commands/sft.js';

function packageVersion(): string {
  try {
    const url = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command()
    .name('irlens')
    .description('Recover the reward an RLHF-trained language model was optimised for, by inverse RL, and measure how faithful it is.')
    .version(packageVersion(), '-V, --version', 'print the irlens version')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false });
  registerInspect(program);
  registerGenerate(program);
  registerScore(program);
  registerCurate(program);
  registerSft(program);
  registerRlhf(program);
  registerIrl(program);
  registerEvaluate(program);
  registerRun(program);
  registerReport(program);
  registerServe(program);
  registerServeLm(program);
  registerDoctor(program);
  return program;
}
