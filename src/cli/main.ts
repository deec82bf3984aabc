/**
 * The `irlens` command line. Exit codes: 0 ok, 1 a problem the user can fix (one line,
 * `irlens: <message>`), 2 an internal error (with its stack), 130 stopped with Ctrl-C.
 */
import { reportError } from './errors.js';
import { buildProgram } from './program.js';

// Output piped into `head` and closed early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  await buildProgram().parseAsync();
} catch (error) {
  process.exitCode = reportError(error);
}
