/**
 * What a stage is: a named step with a config section, the stages it depends on, the files it
 * reads, and a run function that writes its outputs into a folder the pipeline gives it. The stage
 * list is data: the pipeline orders it by dependencies and knows nothing of what stages compute.
 */
import type { Rng } from '../nn/rng.js';
import { buildConfigSchema, type RunConfig } from './config.js';
import { PipelineError } from './errors.js';
import type { Logger } from './log.js';
import type { StageMetrics } from './metrics.js';
import type { Infer, ObjectSchema } from './schema.js';

/** What `inputs()` may look at: the config and where earlier stages' outputs are. */
export interface StageInputContext<C = unknown> {
  /** The run folder. */
  runDir: string;
  /** This stage's config section, defaults filled in. */
  config: C;
  /** The whole resolved config. */
  runConfig: RunConfig;
  /** The folder of an earlier stage's outputs (`<run>/<stage>`). */
  stageDir(stage: string): string;
}

export interface StageContext<C = unknown> extends StageInputContext<C> {
  /** This stage's name. */
  name: string;
  /**
   * Where the stage writes its outputs: a temporary folder (`<run>/.<name>.tmp-<pid>-<id>`) that
   * replaces `<run>/<name>` once the stage returns. Anything left here by a failed or killed attempt is gone.
   */
  dir: string;
  /**
   * A folder that survives a kill, for checkpoints to resume from mid-stage. It is emptied when the
   * stage's fingerprint changes and deleted once the stage completes.
   */
  checkpointDir: string;
  /** True when checkpointDir holds what an interrupted attempt with the same fingerprint left. */
  resumed: boolean;
  /** The declared inputs, as absolute paths. */
  inputs: readonly string[];
  log: Logger;
  metrics: StageMetrics;
  /** A generator seeded from the run's seed and forked by the stage's name. */
  rng: Rng;
  /** Aborted when the run is asked to stop; long loops should check it. */
  signal: AbortSignal;
}

/** What a stage returns: a small JSON-able summary, kept in its stage.json. */
export type StageSummary = Record<string, unknown>;

export interface Stage<C = any> {
  /** The stage's name, also its folder's name ('curate', 'rlhf', ...). */
  name: string;
  /** Stages that must complete first; their fingerprints are part of this one's. */
  dependsOn: readonly string[];
  /** The top-level config key of this stage's section. */
  configKey: string;
  /** The section's schema; merged into the config schema by configSchemaFor. Absent: no settings. */
  configSchema?: ObjectSchema<C>;
  /** Bump when the stage's code changes what it computes, so existing runs redo it. */
  version?: string;
  description?: string;
  /**
   * Files or folders the stage reads, besides its dependencies' folders: outputs of earlier stages
   * (via ctx.stageDir) or external files (hashed by content).
   */
  inputs?(ctx: StageInputContext<C>): readonly string[];
  run(ctx: StageContext<C>): Promise<StageSummary | void> | StageSummary | void;
}

/** A stage typed by its schema: `defineStage({ configSchema: s.object({...}), run(ctx) { ctx.config.steps } })`. */
export function defineStage<S extends ObjectSchema<any>>(stage: Omit<Stage<Infer<S>>, 'configSchema'> & { configSchema: S }): Stage<Infer<S>> {
  return stage as Stage<Infer<S>>;
}

const STAGE_NAME = /^(?!\.)[A-Za-z0-9_-]+$/;
const RESERVED_NAMES = new Set(['config.yaml', 'metrics.jsonl', 'run.log', 'report.html']);

/**
 * The stages in an order where every stage comes after those it depends on; among stages free to
 * go, the given order is kept. Checks names, duplicates, unknown dependencies and cycles.
 */
export function stageOrder(stages: readonly Stage[]): Stage[] {
  const byName = new Map<string, Stage>();
  for (const stage of stages) {
    if (!STAGE_NAME.test(stage.name) || RESERVED_NAMES.has(stage.name)) {
      throw new PipelineError(`stage name '${stage.name}' is not allowed: use letters, digits, '_' and '-' (it names the stage's folder)`);
    }
    if (byName.has(stage.name)) throw new PipelineError(`two stages are named '${stage.name}'`);
    byName.set(stage.name, stage);
  }
  for (const stage of stages) {
    for (const dependency of stage.dependsOn) {
      if (!byName.has(dependency)) throw new PipelineError(`stage ${stage.name} depends on '${dependency}', which is not a stage of this pipeline`);
    }
  }
  const ordered: Stage[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (stage: Stage, trail: string[]) => {
    const current = state.get(stage.name);
    if (current === 'done') return;
    if (current === 'visiting') throw new PipelineError(`stages depend on each other in a cycle: ${[...trail, stage.name].join(' → ')}`);
    state.set(stage.name, 'visiting');
    for (const dependency of stage.dependsOn) visit(byName.get(dependency)!, [...trail, stage.name]);
    state.set(stage.name, 'done');
    ordered.push(stage);
  };
  for (const stage of stages) visit(stage, []);
  return ordered;
}

/** The named stages and everything they depend on, transitively. */
export function withDependencies(stages: readonly Stage[], targets: readonly string[]): Set<string> {
  const byName = new Map(stages.map((stage) => [stage.name, stage]));
  const selected = new Set<string>();
  const add = (name: string) => {
    const stage = byName.get(name);
    if (stage === undefined) throw new PipelineError(`there is no stage '${name}'; the stages are ${[...byName.keys()].join(', ')}`);
    if (selected.has(name)) return;
    selected.add(name);
    stage.dependsOn.forEach(add);
  };
  targets.forEach(add);
  return selected;
}

/** The config schema for a pipeline: the top-level keys plus each stage's section. */
export function configSchemaFor(stages: readonly Stage[], extraSections: Record<string, ObjectSchema> = {}): ObjectSchema<RunConfig> {
  const sections: [string, ObjectSchema][] = [];
  for (const stage of stages) if (stage.configSchema !== undefined) sections.push([stage.configKey, stage.configSchema]);
  sections.push(...Object.entries(extraSections));
  return buildConfigSchema(sections);
}
