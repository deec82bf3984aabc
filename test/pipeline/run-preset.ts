/**
 * For the end-to-end tests: running a preset in-process (what `irlens run --preset` does in its
 * worker): resolve its config (preset ← config file ← --set overrides), run the pipeline's stages
 * in `<out>/<name>`, and say which stages are still to come.
 *
 *   const { result, planned } = await runPreset('demo', { out: 'runs' });
 *   await runDemo('runs', { size: 'tiny' });
 */
import { join, resolve } from 'node:path';
import { resolveConfig, type RunConfig } from '../../src/pipeline/config.js';
import type { LogLine } from '../../src/pipeline/log.js';
import { runPipeline, type PipelineResult, type RunPipelineOptions } from '../../src/pipeline/run.js';
import { registerBuiltinPresets } from '../../src/pipeline/presets/index.js';
import { PIPELINE_STAGES, PLANNED_STAGES, pipelineConfigSchema } from '../../src/pipeline/stages/index.js';

export interface RunPresetOptions extends Omit<RunPipelineOptions, 'onLog'> {
  /** The folder that holds runs (the config's `out`); the run folder is `<out>/<name>`. */
  out?: string;
  /** The run's name (default: the preset's name). */
  name?: string;
  /** A YAML config file applied on top of the preset. */
  configFile?: string;
  /** `key.path=value` overrides applied last. */
  overrides?: readonly string[];
  onLog?: (line: LogLine) => void;
}

export interface PresetRun {
  config: RunConfig;
  result: PipelineResult;
  /** The stages of the paper's pipeline not built yet. */
  planned: readonly { name: string; description: string }[];
  /** "not built yet: rlhf, irl, ..." */
  note: string;
}

/** The resolved config of a preset with the given overrides (validated against every stage's section). */
export function presetConfig(preset: string, options: Pick<RunPresetOptions, 'out' | 'name' | 'configFile' | 'overrides'> = {}): RunConfig {
  registerBuiltinPresets();
  const overrides = [...(options.out !== undefined ? [`out=${options.out}`] : []), ...(options.name !== undefined ? [`name=${options.name}`] : []), ...(options.overrides ?? [])];
  return resolveConfig({ schema: pipelineConfigSchema(), preset, file: options.configFile, overrides });
}

/** Resolves a preset and runs the pipeline's stages in `<out>/<name>`. */
export async function runPreset(preset: string, options: RunPresetOptions = {}): Promise<PresetRun> {
  const config = presetConfig(preset, options);
  const { out: _out, name: _name, configFile: _file, overrides: _overrides, ...pipelineOptions } = options;
  const result = await runPipeline(PIPELINE_STAGES, config, resolve(join(config.out, config.name)), pipelineOptions);
  const note = PLANNED_STAGES.length === 0 ? 'every stage of the pipeline is built' : `not built yet: ${PLANNED_STAGES.map((stage) => stage.name).join(', ')}`;
  options.onLog?.({ time: new Date(), level: 'info', message: note, text: note });
  return { config, result, planned: PLANNED_STAGES, note };
}

export interface RunDemoOptions extends Omit<RunPresetOptions, 'out'> {
  /** 'tiny' for a quick check (tests), 'small' (default) for the demo proper. */
  size?: 'tiny' | 'small';
}

/**
 * The offline demo: the `demo` preset (or `demo-tiny` with size 'tiny') in `<outDir>/<name>`.
 * What `irlens run --preset demo --out DIR` and `npm run demo` run.
 */
export async function runDemo(outDir: string, options: RunDemoOptions = {}): Promise<PresetRun> {
  const { size, ...rest } = options;
  return runPreset(size === 'tiny' ? 'demo-tiny' : 'demo', { ...rest, out: outDir });
}
