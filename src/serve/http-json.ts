/**
 * JSON over node:http: a request body read with a size limit and parsed, and a JSON answer sent.
 * A body over the limit is refused as soon as its Content-Length (or its bytes so far) says so,
 * so an oversized upload costs neither memory nor a parse.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestError, HttpError } from './errors.js';

const tooLarge = (limit: number): HttpError =>
  new HttpError(413, `the request body is over the server's limit of ${limit} bytes; send fewer texts per request, or start the server with a larger --max-body-bytes`);

/**
 * The request's body parsed as JSON; 413 past `maxBytes`, 400 when it is not JSON. An oversized
 * body is read to its end and dropped before the 413 is sent (a client still sending would
 * otherwise see a reset connection instead of the answer), up to 16 times the limit, past which
 * the connection is cut.
 */
export function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = Number(request.headers['content-length']) > maxBytes ? maxBytes + 1 : 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else if (size > 16 * maxBytes) request.destroy();
    });
    // A client that goes away mid-body: nobody reads the answer, but the request must still end.
    const cutOff = () => reject(size > maxBytes ? tooLarge(maxBytes) : new BadRequestError('the request was cut off before its body ended'));
    request.on('error', cutOff);
    request.on('close', cutOff);
    request.on('end', () => {
      if (size > maxBytes) return reject(tooLarge(maxBytes));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch (error) {
        reject(new BadRequestError(`the request body is not valid JSON (${(error as Error).message}); send a JSON object with Content-Type: application/json`));
      }
    });
  });
}

/** Sends `body` as JSON with `status`; `close` asks the client to drop the connection afterwards. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, close = false): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
    ...(close ? { Connection: 'close' } : {}),
  });
  response.end(payload);
}
