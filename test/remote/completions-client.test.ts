/**
 * The completions client against a scripted server that misbehaves as real ones do: it drops
 * connections, answers 500 and 429, and is slow. What may pass is retried (with back-off, the
 * server's Retry-After honoured, each attempt timed out); what will not pass fails at once with
 * the server's message; concurrency and request rate stay within their limits.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { CompletionsClient, DEFAULT_CLIENT_SETTINGS, RemoteServerError, parseRemoteModel, RemoteModelError, type ClientSettings } from '../../src/remote/index.js';

type Script = (request: IncomingMessage, response: ServerResponse, attempt: number) => void;

const ok = (response: ServerResponse) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ model: 'm', choices: [{ index: 0, text: ' hi', token_ids: [5, 6] }] }));
};

/** A server that answers the n-th request as the script says. */
async function scripted(script: Script) {
  let attempts = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const starts: number[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      starts.push(Date.now());
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      response.on('close', () => inFlight--);
      script(request, response, attempts++);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, server, stats: () => ({ attempts, maxInFlight, starts }) };
}

const fast: ClientSettings = { ...DEFAULT_CLIENT_SETTINGS, backoffMs: 5, maxBackoffMs: 20, timeoutMs: 300 };
const request = { prompt: [1, 2, 3], max_tokens: 2, temperature: 0 };

describe('the completions client', () => {
  const servers: { close(): void; closeAllConnections(): void }[] = [];
  after(() => servers.forEach((s) => (s.closeAllConnections(), s.close())));
  const start = async (script: Script) => {
    const made = await scripted(script);
    servers.push(made.server);
    return made;
  };

  it('survives a dropped connection, a 500, a 429 and a slow answer, then succeeds', async () => {
    const { url, stats } = await start((request, response, attempt) => {
      if (attempt === 0) return void request.socket.destroy();
      if (attempt === 1) return void (response.writeHead(500), response.end('{"error":{"message":"boom"}}'));
      if (attempt === 2) return void (response.writeHead(429, { 'retry-after': '0' }), response.end('{"message":"slow down"}'));
      if (attempt === 3) return; // no answer: the attempt times out
      ok(response);
    });
    // A timeout generous enough that a loaded machine answers every other attempt within it.
    const client = new CompletionsClient(parseRemoteModel(`openai:${url}#m`), { ...fast, timeoutMs: 2_000 });
    const answer = await client.complete(request);
    assert.deepEqual(answer.choices[0]!.token_ids, [5, 6]);
    assert.equal(client.retries, 4);
    assert.equal(stats().attempts, 5);
  });

  it("waits as long as the server's Retry-After asks", async () => {
    const { url, stats } = await start((_request, response, attempt) => (attempt === 0 ? (response.writeHead(503, { 'retry-after': '0.3' }), response.end()) : ok(response)));
    await new CompletionsClient(parseRemoteModel(`openai:${url}#m`), fast).complete(request);
    const [first, second] = stats().starts;
    assert.ok(second! - first! >= 280, `retried after ${second! - first!} ms`);
  });

  it('fails at once, with the server’s message, on a refusal that will not pass', async () => {
    const { url, stats } = await start((_request, response) => (response.writeHead(400), response.end('{"error":{"message":"max_tokens is too large"}}')));
    const client = new CompletionsClient(parseRemoteModel(`openai:${url}#m`), fast);
    await assert.rejects(client.complete(request), (error: Error) => error instanceof RemoteServerError && /HTTP 400: max_tokens is too large/.test(error.message));
    assert.equal(stats().attempts, 1);
  });

  it('gives up after its retries with what went wrong last', async () => {
    const { url, stats } = await start((_request, response) => (response.writeHead(502), response.end('bad gateway')));
    const client = new CompletionsClient(parseRemoteModel(`openai:${url}#m`), { ...fast, maxRetries: 2 });
    await assert.rejects(client.complete(request), (error: Error) => error instanceof RemoteServerError && /3 attempts failed, the last with HTTP 502: bad gateway/.test(error.message));
    assert.equal(stats().attempts, 3);
  });

  it('refuses an answer that is not a completions response', async () => {
    const { url } = await start((_request, response) => (response.writeHead(200), response.end('{"choices":[{"index":0}]}')));
    await assert.rejects(new CompletionsClient(parseRemoteModel(`openai:${url}#m`), fast).complete(request), /choice 0 without a "text" string/);
  });

  it('keeps at most `concurrency` requests in flight and spaces their starts by the rate limit', async () => {
    const { url, stats } = await start((_request, response) => setTimeout(() => ok(response), 40));
    // A generous timeout: a retried request would count twice on the server while its first try is closing.
    const client = new CompletionsClient(parseRemoteModel(`openai:${url}#m`), { ...fast, concurrency: 3, timeoutMs: 30_000 });
    await Promise.all(Array.from({ length: 12 }, () => client.complete(request)));
    assert.equal(client.retries, 0);
    assert.equal(stats().maxInFlight, 3);

    const limited = await start((_request, response) => ok(response));
    const slow = new CompletionsClient(parseRemoteModel(`openai:${limited.url}#m`), { ...fast, requestsPerSecond: 20, timeoutMs: 30_000 });
    await Promise.all(Array.from({ length: 6 }, () => slow.complete(request)));
    const starts = limited.stats().starts;
    assert.ok(starts.at(-1)! - starts[0]! >= 230, `6 requests at 20/s took ${starts.at(-1)! - starts[0]!} ms`);
  });

  it('stops at once when the run is stopped, without retrying', async () => {
    const { url, stats } = await start((_request, response) => setTimeout(() => ok(response), 2_000));
    const stop = new AbortController();
    const pending = new CompletionsClient(parseRemoteModel(`openai:${url}#m`), { ...fast, timeoutMs: 10_000 }).complete(request, stop.signal);
    setTimeout(() => stop.abort(), 50);
    await assert.rejects(pending, { name: 'AbortError' });
    assert.equal(stats().attempts, 1);
  });

  it('reads openai:URL#MODEL and refuses what it cannot use', () => {
    assert.deepEqual(parseRemoteModel('openai:http://gpu:8000/v1/#EleutherAI/pythia-70m'), { baseUrl: 'http://gpu:8000/v1', model: 'EleutherAI/pythia-70m', apiKeyEnv: 'OPENAI_API_KEY' });
    for (const [spec, message] of [
      ['openai:http://gpu:8000/v1', /names no model/],
      ['openai:not a url#m', /is not a URL/],
      ['openai:ftp://gpu/v1#m', /must be http/],
      ['openai:http://user:secret@gpu/v1#m', /credentials/],
    ] as const) assert.throws(() => parseRemoteModel(spec), (error: Error) => error instanceof RemoteModelError && message.test(error.message), spec);
  });
});
