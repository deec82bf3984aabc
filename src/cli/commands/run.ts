/**
 * `irlens run (--preset NAME | --config FILE) [--set key=value ...] --out DIR`: resolves the config
 * (preset, then file, then overrides), runs the pipeline's stages into DIR (stages whose inputs
 * and config are unchanged are not run again; a stopped run resumes), streams the run log to
 * stderr, and prints which stages ran and a summary.
 *
 * The stages run in a worker thread so that Ctrl-C is heard while they compute (see signals.ts).
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { startModuleWorker } from '../../io/module-worker.js';
import { CliError } from '../errors.js';
import { collect, emit, withJson } from '../options.js';
import type { RunWorkerData, RunWorkerMessage, RunWorkerStage } from '../run-worker.js';
import { createStopFlag, stopOnInterrupt } from '../signals.js';
import { runHeadline } from '../../pipeline/headline.js';

interface RunFlags {
  preset?: string;
  config?: string;
  set?: string[];
  out?: string;
  only?: string[];
  force?: string[];
  printConfig?: boolean;
  listPresets?: boolean;
  json?: boolean;
}

export interface RunResult {
  runDir: string;
  preset: string | null;
  stages: RunWorkerStage[];
  ran: string[];
  upToDate: string[];
  /** Stages of the paper's pipeline not built yet. */
  planned: string[];
  seconds: number;
}

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('Run the pipeline (curate, ground truth, RLHF, IRL, evaluation, ...) from a preset and/or a config file into a run folder; rerun to resume.')
    .option('--preset <name>', 'start from a built-in preset (demo, demo-tiny, pythia-70m, ...)')
    .option('-c, --config <file>', 'a YAML config file (applied on top of the preset)')
    .option('-s, --set <key=value>', 'override one config value, e.g. --set rlhf.learning_rate=1e-5 (repeatable, applied last)', collect)
    .option('-o, --out <dir>', 'the run folder (default: <out>/<name> from the config)')
    .option('--only <stage>', 'run only this stage and what it depends on (repeatable)', collect)
    .option('--force <stage>', 'run this stage again even if it is up to date (repeatable)', collect)
    .option('--print-config', 'print the resolved config as YAML and exit')
    .option('--list-presets', 'list the presets and exit')
    .action((flags: RunFlags) => runCommand(flags));
  withJson(command);
}

const formatSeconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

async function runCommand(flags: RunFlags): Promise<void> {
  const started = Date.now();
  const { registerBuiltinPresets } = await import('../../pipeline/presets/index.js');
  const { pipelineConfigSchema } = await import('../../pipeline/stages/index.js');
  const { resolveConfig, configToYaml } = await import('../../pipeline/config.js');
  const registry = registerBuiltinPresets();

  if (flags.listPresets) {
    const list = registry.list().map((preset) => ({ name: preset.name, description: preset.description, extends: preset.extends ?? null }));
    emit(flags.json, list, () => list.map((preset) => `${preset.name.padEnd(14)}${preset.description}`));
    return;
  }
  if (flags.preset === undefined && flags.config === undefined) throw new CliError('run needs --preset NAME or --config FILE (or both); see --list-presets');

  const overrides = [...(flags.set ?? [])];
  if (flags.out !== undefined) {
    const runDir = resolve(flags.out);
    overrides.push(`out=${dirname(runDir)}`, `name=${basename(runDir)}`);
  }
  const config = resolveConfig({
    schema: pipelineConfigSchema(),
    presets: registry,
    ...(flags.preset !== undefined ? { preset: flags.preset } : {}),
    ...(flags.config !== undefined ? { file: flags.config } : {}),
    overrides,
  });
  if (flags.printConfig) {
    if (flags.json) emit(true, config, () => []);
    else process.stdout.write(configToYaml(config));
    return;
  }
  const runDir = resolve(join(config.out, config.name));
  const { irlensVersion } = await import('../../data/version.js');

  const stopFlag = createStopFlag();
  const workerData: RunWorkerData = { config, runDir, targets: flags.only, force: flags.force, codeVersion: irlensVersion(), stopFlag };
  const worker = startModuleWorker(import.meta.url, '../run-worker', { workerData });
  const stopListening = stopOnInterrupt(stopFlag, () => void worker.terminate());
  process.stderr.write(`irlens run: ${config.preset ? `preset '${config.preset}'` : 'config'}${flags.config ? ` + ${flags.config}` : ''} → ${runDir}\n`);

  const outcome = await new Promise<Extract<RunWorkerMessage, { type: 'done' | 'failed' }>>((resolvePromise, reject) => {
    let settled = false;
    worker.on('message', (message: RunWorkerMessage) => {
      if (message.type === 'log') {
        const time = message.time.slice(11, 19);
        const tag = message.level === 'info' ? '' : ` ${message.level.toUpperCase()}`;
        process.stderr.write(`${time}${tag}${message.stage ? ` [${message.stage}]` : ''} ${message.message.replace(/\n/g, '\n         ')}\n`);
      } else {
        settled = true;
        resolvePromise(message);
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the pipeline's worker thread exited (code ${code}) without a result`));
    });
  }).finally(stopListening);

  if (outcome.type === 'failed') {
    process.stderr.write(outcome.text);
    process.exitCode = outcome.code;
    return;
  }
  const ran = outcome.stages.filter((s) => s.status === 'ran').map((s) => s.name);
  const upToDate = outcome.stages.filter((s) => s.status === 'up-to-date').map((s) => s.name);
  const result: RunResult = {
    runDir: outcome.runDir,
    preset: config.preset ?? null,
    stages: outcome.stages,
    ran,
    upToDate,
    planned: outcome.planned.map((p) => p.name),
    seconds: (Date.now() - started) / 1000,
  };
  emit(flags.json, result, () => [
    `run ${outcome.runDir}`,
    ...outcome.stages.map((s) => {
      const summary = Object.entries(s.summary).slice(0, 6).map(([k, v]) => `${k}=${JSON.stringify(v, (_, x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? +x.toPrecision(4) : x))}`).join(', ');
      return `  ${s.status === 'ran' ? 'ran       ' : 'up to date'}  ${s.name.padEnd(16)} ${formatSeconds(s.durationMs).padStart(9)}${summary ? `  ${summary}` : ''}`;
    }),
    `${ran.length} stage${ran.length === 1 ? '' : 's'} ran, ${upToDate.length} up to date, in ${formatSeconds(result.seconds * 1000)}`,
    ...(outcome.planned.length > 0 ? [`not built yet: ${result.planned.join(', ')}`] : []),
    ...runHeadline(outcome.runDir),
  ]);
}
