/**
 * What irlens's servers share: routes by path and method whose handlers return a JSON answer,
 * every failure answered with its status (an HttpError's; 422 for another UserError, which is the
 * request's fault; 500 for a bug, logged with its stack) and never a crash, and a graceful stop:
 * new requests get 503, those in flight are answered, then the server closes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { finished } from 'node:stream/promises';
import { UserError } from '../errors.js';
import { HttpError, UnavailableError } from './errors.js';
import { sendJson } from './http-json.js';

export type JsonHandler = (request: IncomingMessage) => Promise<unknown> | unknown;

export interface JsonServerOptions {
  /** Handlers by path, then method: `{'/health': {GET: ...}}`. */
  routes: Record<string, Record<string, JsonHandler>>;
  /** The body of an error answer (servers differ: OpenRLHF's {"error": message}, OpenAI's {"error": {message, type, code}}). */
  errorBody(status: number, message: string): unknown;
  /** Names the server in logged internal errors. */
  name: string;
  /** Where internal errors (bugs) are reported with their stack; default stderr. */
  log?: (message: string) => void;
}

export class JsonServer {
  readonly http: Server;
  /** The requests being answered, which close() waits for. */
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | null = null;

  constructor(private readonly options: JsonServerOptions) {
    this.http = createServer((request, response) => {
      const answered = this.handle(request, response);
      this.inFlight.add(answered);
      void answered.finally(() => this.inFlight.delete(answered));
    });
  }

  /** Whether close() was called: new requests get 503. */
  get stopping(): boolean {
    return this.closing !== null;
  }

  /** Starts listening (port 0: any free port) and resolves with the address. */
  listen(port: number, host?: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /** Stops taking requests, answers those in flight, then closes every connection. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeIdleConnections();
      while (this.inFlight.size > 0) await Promise.all(this.inFlight);
      this.http.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }

  /** Answers one request; resolves once the answer is written out, so that close() never cuts one short. */
  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const handler = this.route(request);
      sendJson(response, 200, await handler(request), {}, this.stopping);
    } catch (error) {
      this.sendError(response, error);
    }
    // A client that went away is no concern of the server's.
    await finished(response).catch(() => undefined);
  }

  private route(request: IncomingMessage): JsonHandler {
    const path = new URL(request.url ?? '/', 'http://irlens').pathname;
    const methods = this.options.routes[path];
    if (!methods) {
      const known = Object.entries(this.options.routes).flatMap(([p, m]) => Object.keys(m).map((method) => `${method} ${p}`));
      throw new HttpError(404, `no route ${request.method} ${path}; this server answers ${known.join(', ')}`);
    }
    const handler = methods[request.method ?? ''];
    const allowed = Object.keys(methods).join(', ');
    if (!handler) throw new HttpError(405, `${path} takes ${allowed}, not ${request.method}`, { Allow: allowed });
    if (this.stopping && path !== '/health') throw new UnavailableError('the server is shutting down and takes no new requests; send them to another server, or restart this one');
    return handler;
  }

  private sendError(response: ServerResponse, error: unknown): void {
    if (response.headersSent || response.destroyed) return void response.destroy();
    const send = (status: number, message: string, headers: Record<string, string> = {}, close = this.stopping) => sendJson(response, status, this.options.errorBody(status, message), headers, close);
    // After a 413 the rest of the body is not worth reading: the connection closes.
    if (error instanceof HttpError) return send(error.status, error.message, error.headers, error.status === 413 || this.stopping);
    // A model or reward that cannot take what it was sent: the request's fault, not the server's.
    if (error instanceof UserError) return send(422, error.message);
    (this.options.log ?? ((message) => process.stderr.write(`${message}\n`)))(`${this.options.name}: internal error: ${(error as Error)?.stack ?? String(error)}`);
    send(500, `internal error: ${(error as Error)?.message ?? String(error)} (a bug in irlens; the server keeps running)`);
  }
}
