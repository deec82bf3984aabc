/**
 * irlens's two kinds of failure. A UserError is a problem the person running irlens can fix — a
 * bad path, a corrupt checkpoint, a misspelt config key, a full disk — and its message says how;
 * every layer's error family for such problems extends it. Anything else that escapes is an
 * internal error: a bug. The command line maps the two to exit codes 1 and 2.
 */
export class UserError extends Error {
  override name = 'UserError';
}
