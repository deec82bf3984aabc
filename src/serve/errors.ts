/**
 * What the reward server answers when a request cannot be scored. Each error carries its HTTP
 * status, and its message (sent as {"error": message}) says what was wrong and how to fix it.
 */
import { UserError } from '../errors.js';

export class HttpError extends UserError {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Allow for a 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A body that is not valid JSON or does not have the fields and types the route needs: 400. */
export class BadRequestError extends HttpError {
  override name = 'BadRequestError';
  constructor(message: string) {
    super(400, message);
  }
}

/** The scoring queue has no room for the request's texts, or the server is shutting down: 503. */
export class UnavailableError extends HttpError {
  override name = 'UnavailableError';
  constructor(message: string) {
    super(503, message, { 'Retry-After': '1' });
  }
}

/** A reward the server cannot be started with (a folder that is no reward, flags that do not fit it). */
export class ServeError extends UserError {
  override name = 'ServeError';
}
