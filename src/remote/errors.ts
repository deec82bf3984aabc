/** What can go wrong talking to a served model; each says what to check. */
import { UserError } from '../errors.js';

/** A served-model spec or setting that cannot work (a malformed URL, a missing model id). */
export class RemoteModelError extends UserError {
  override name = 'RemoteModelError';
}

/**
 * The server refused a request, answered something that is not a completions response, or kept
 * failing after every retry. The message names the server and what it said.
 */
export class RemoteServerError extends UserError {
  override name = 'RemoteServerError';
}
