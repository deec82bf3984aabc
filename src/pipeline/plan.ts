/**
 * What a run will do, decided before the run folder is touched: the stages in dependency order,
 * those selected (the targets and what they depend on), those forced, and each stage's config
 * section validated with its defaults filled in.
 */
import type { RunConfig } from './config.js';
import { ConfigValidationError, PipelineError, type ConfigIssue } from './errors.js';
import { validateAgainst } from './schema.js';
import { stageOrder, withDependencies, type Stage } from './stage.js';

export interface RunPlan {
  /** Every stage, each after those it depends on. */
  ordered: Stage[];
  /** The stages this run brings up to date. */
  selected: Set<string>;
  /** The stages to run again even if up to date. */
  forced: Set<string>;
  /** Stage → itself and every stage it depends on, transitively. */
  ancestors: Map<string, Set<string>>;
  /** Stage → its config section, validated, defaults filled in. */
  sections: Map<string, unknown>;
}

/** Plans a run; throws PipelineError for an unknown target or forced stage, ConfigValidationError for bad sections. */
export function planRun(stages: readonly Stage[], config: RunConfig, targets?: readonly string[], force: readonly string[] = []): RunPlan {
  const ordered = stageOrder(stages);
  const selected = targets === undefined ? new Set(ordered.map((stage) => stage.name)) : withDependencies(ordered, targets);
  const forced = new Set(force);
  for (const name of forced) if (!ordered.some((stage) => stage.name === name)) throw new PipelineError(`cannot force '${name}': there is no such stage`);
  const ancestors = new Map(ordered.map((stage) => [stage.name, withDependencies(ordered, [stage.name])]));
  return { ordered, selected, forced, ancestors, sections: validatedSections(ordered, config) };
}

function validatedSections(ordered: readonly Stage[], config: RunConfig): Map<string, unknown> {
  const sections = new Map<string, unknown>();
  const issues: ConfigIssue[] = [];
  for (const stage of ordered) {
    const section = config[stage.configKey];
    sections.set(stage.name, stage.configSchema ? validateAgainst(stage.configSchema, section ?? {}, issues, () => undefined, [stage.configKey]) : (section ?? {}));
  }
  if (issues.length > 0) throw new ConfigValidationError(issues);
  return sections;
}
