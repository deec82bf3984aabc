/**
 * How the command line ends: exit 0 when the command worked, 1 for a problem the user can fix
 * (a bad path, a corrupt checkpoint, a misspelt config key: the typed errors of the layers below,
 * printed as one `irlens: <message>` line), 2 for anything else (a bug: printed with its stack),
 * and 130 when the user stopped it with Ctrl-C.
 */
import { CheckpointError, ConfigError, HubError, WriteFailedError } from '../io/index.js';
import { DataError } from '../data/errors.js';
import { GenerationError } from '../models/generation.js';
import { ModelInputError } from '../models/errors.js';
import { NonFiniteGradientError, StateDictError } from '../nn/errors.js';
import { ConfigValidationError, PipelineError, StageFailedError } from '../pipeline/errors.js';
import { RewardError } from '../reward/reward.js';
import { NativeBackendUnavailableError } from '../tensor/errors.js';
import { TokenizerError } from '../text/errors.js';
import { TrainError } from '../train/errors.js';
import { RlhfError } from '../rlhf/errors.js';
import { IrlError } from '../irl/errors.js';
import { MetricInputError } from '../eval/errors.js';
import { ReportError } from '../report/errors.js';

export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_INTERNAL_ERROR = 2;
/** 128 + SIGINT, as shells report a command stopped with Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** A problem with how a command was called that commander's own checks cannot see. */
export class CliError extends Error {
  override name = 'CliError';
}

/** Error classes a user can cause; other layers add theirs with `registerUserError`. */
const USER_ERRORS: Array<abstract new (...args: never[]) => Error> = [
  CliError,
  CheckpointError,
  ConfigError,
  HubError,
  DataError,
  RewardError,
  TokenizerError,
  GenerationError,
  ModelInputError,
  StateDictError,
  NonFiniteGradientError,
  ConfigValidationError,
  PipelineError,
  TrainError,
  RlhfError,
  NativeBackendUnavailableError,
  WriteFailedError,
  IrlError,
  MetricInputError,
  ReportError,
];

/** Marks a further error class (e.g. a layer's own) as one a user causes and can fix. */
export function registerUserError(errorClass: abstract new (...args: never[]) => Error): void {
  if (!USER_ERRORS.includes(errorClass)) USER_ERRORS.push(errorClass);
}

const isAbort = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR');

export type ErrorKind = 'user' | 'internal' | 'interrupted';

/** What kind of failure an error is; a failed stage is judged by its cause. */
export function classifyError(error: unknown, interrupted = false): ErrorKind {
  if (isAbort(error) || (interrupted && error instanceof StageFailedError)) return 'interrupted';
  if (error instanceof StageFailedError) return classifyError(error.cause, interrupted);
  if (error instanceof Error && USER_ERRORS.some((errorClass) => error instanceof errorClass)) return 'user';
  return 'internal';
}

/** The exit code and the text (ending in a newline) to print for an error. */
export function describeError(error: unknown, interrupted = false): { code: number; text: string } {
  const kind = classifyError(error, interrupted);
  if (kind === 'interrupted') {
    return { code: EXIT_INTERRUPTED, text: 'irlens: stopped; nothing half-finished was kept (rerun the same command to resume where it left off)\n' };
  }
  if (kind === 'user') return { code: EXIT_USER_ERROR, text: `irlens: ${(error as Error).message}\n` };
  const inner = error instanceof StageFailedError ? error.cause : error;
  const detail = inner instanceof Error ? (inner.stack ?? inner.message) : String(inner);
  const stage = error instanceof StageFailedError ? ` in stage ${error.stage}` : '';
  return { code: EXIT_INTERNAL_ERROR, text: `irlens: internal error${stage} (a bug in irlens; please report it with the command you ran):\n${detail}\n` };
}

/** Prints the error as its kind asks and returns the exit code. */
export function reportError(error: unknown, interrupted = false, stream: NodeJS.WritableStream = process.stderr): number {
  const { code, text } = describeError(error, interrupted);
  stream.write(text);
  return code;
}
