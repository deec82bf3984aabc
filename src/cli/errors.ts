/**
 * How the command line ends: exit 0 when the command worked, 1 for a problem the user can fix
 * (a UserError: a bad path, a corrupt checkpoint, a misspelt config key, printed as one
 * `irlens: <message>` line), 2 for anything else (a bug: printed with its stack), and 130 when the
 * user stopped it with Ctrl-C.
 */
import { UserError } from '../errors.js';
import { StageFailedError } from '../pipeline/errors.js';

export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_INTERNAL_ERROR = 2;
/** 128 + SIGINT, as shells report a command stopped with Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** A problem with how a command was called that commander's own checks cannot see. */
export class CliError extends UserError {
  override name = 'CliError';
}

const isAbort = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR');

export type ErrorKind = 'user' | 'internal' | 'interrupted';

/** What kind of failure an error is; a failed stage is judged by its cause. */
export function classifyError(error: unknown, interrupted = false): ErrorKind {
  if (isAbort(error) || (interrupted && error instanceof StageFailedError)) return 'interrupted';
  if (error instanceof StageFailedError) return classifyError(error.cause, interrupted);
  if (error instanceof UserError) return 'user';
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
