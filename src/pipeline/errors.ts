/**
 * Errors the pipeline raises for things a user can fix: a bad config, a run folder that another
 * irlens is using, a stage that failed. Each message says what was wrong and what to do.
 */
import { UserError } from '../errors.js';

/** Where a config value came from: a position in a YAML file, a --set override, or a preset. */
export type ConfigOrigin =
  | { kind: 'file'; file: string; line: number; column: number }
  | { kind: 'override'; text: string }
  | { kind: 'preset'; name: string }
  | { kind: 'default' };

export function describeOrigin(origin: ConfigOrigin | undefined): string {
  if (origin === undefined) return '';
  switch (origin.kind) {
    case 'file':
      return `${origin.file}:${origin.line}:${origin.column}`;
    case 'override':
      return `--set ${origin.text}`;
    case 'preset':
      return `preset '${origin.name}'`;
    case 'default':
      return 'the defaults';
  }
}

/** One problem found in a config: its key path, where it came from, and a readable message. */
export interface ConfigIssue {
  kind: 'unknown-key' | 'missing-key' | 'invalid-value' | 'syntax' | 'bad-override' | 'unknown-preset';
  /** Dotted key path ('rlhf.learning_rate'); '' for the whole document. */
  path: string;
  origin?: ConfigOrigin;
  /** For an unknown key or preset: the closest valid name, when one is close. */
  suggestion?: string;
  message: string;
}

/** A config that cannot be used; `issues` lists every problem found, in file order. */
export class ConfigValidationError extends UserError {
  override name = 'ConfigValidationError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      issues.length === 1
        ? issues[0]!.message
        : `${issues.length} problems in the config:\n${issues.map((issue) => `  - ${issue.message}`).join('\n')}`,
    );
  }
}

/** A misuse of the pipeline API or a run folder in a state the pipeline cannot work with. */
export class PipelineError extends UserError {
  override name = 'PipelineError';
}

/** Another irlens process holds the run folder's lock. */
export class RunLockedError extends PipelineError {
  override name = 'RunLockedError';
  constructor(
    readonly lockFile: string,
    readonly pid: number,
    readonly host: string,
    detail: string,
  ) {
    super(`${lockFile}: ${detail}`);
  }
}

/** A stage threw; nothing of this attempt looks finished, and the next run redoes the stage. */
export class StageFailedError extends PipelineError {
  override name = 'StageFailedError';
  constructor(
    readonly stage: string,
    override readonly cause: unknown,
  ) {
    super(`stage ${stage} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
