/**
 * What irlens's servers share: JSON bodies read with a size limit, JSON answers, routes by
 * method and path, errors as 4xx/5xx answers with a message (never a crash), and a graceful stop
 * that finishes the requests under way and refuses new ones.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request that gets an error answer: its status and what to tell the client. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/**
 * The JSON body of a request, refused with 413 past maxBytes and 400 when it is not JSON. An
 * oversized body is read to its end and dropped (so the client, still sending, gets the 413
 * rather than a reset connection), up to 16 times the limit, past which the connection is cut.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
    else if (size > 16 * maxBytes) request.destroy();
  }
  if (size > maxBytes) throw new HttpError(413, `the request body is larger than this server's limit of ${maxBytes} bytes; send fewer or shorter texts per request`);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `the request body is not valid JSON (${(error as Error).message})`);
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

export type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;

/** A handler per "METHOD /path"; another method on a known path is 405, an unknown path 404. */
export function routes(table: Record<string, Handler>): Handler {
  return (request, response) => {
    const path = new URL(request.url ?? '/', 'http://server').pathname;
    const handler = table[`${request.method} ${path}`];
    if (handler) return handler(request, response);
    const methods = Object.keys(table).filter((key) => key.endsWith(` ${path}`)).map((key) => key.split(' ')[0]!);
    if (methods.length > 0) throw new HttpError(405, `${path} takes ${methods.join(' or ')}, not ${request.method}`, { allow: methods.join(', ') });
    throw new HttpError(404, `no route ${request.method} ${path}; this server answers ${Object.keys(table).join(', ')}`);
  };
}

export interface RunningServer {
  /** http://host:port */
  url: string;
  /** Stops accepting, lets the requests under way finish, then resolves. */
  close(): Promise<void>;
}

/**
 * Starts a server on host:port (port 0: any free port). An error a handler throws is answered
 * with its status (an HttpError) or 500, shaped by `errorBody`; the server itself never stops for it.
 */
export async function startServer(options: { host: string; port: number; handle: Handler; errorBody(status: number, message: string): unknown }): Promise<RunningServer> {
  const server: Server = createServer((request, response) => {
    Promise.resolve()
      .then(() => options.handle(request, response))
      .catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500;
        const message = error instanceof HttpError ? error.message : `internal error: ${(error as Error).message ?? String(error)}`;
        if (status === 500) process.stderr.write(`irlens server: ${(error as Error).stack ?? String(error)}\n`);
        if (response.headersSent) return void response.destroy();
        // Unread bodies (a 413 mid-stream) would keep the connection busy; close it after answering.
        sendJson(response, status, options.errorBody(status, message), { ...(error instanceof HttpError ? error.headers : {}), ...(request.complete ? {} : { connection: 'close' }) });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
