/**
 * The hub's HTTP protocol, on Node's fetch. Data set repos use the same routes under `datasets/`
 * (`/api/datasets/...`, `/datasets/{repo}/resolve/...`), as huggingface_hub's `hf_hub_url` and
 * `dataset_info` build them:
 *
 * - `GET {endpoint}/api/models/{repo}/revision/{revision}` → `{ sha, siblings: [{ rfilename }] }`,
 *   the commit a revision points at and the files it holds (paths from the repo root, sub-folders
 *   included);
 * - `HEAD {endpoint}/{repo}/resolve/{commit}/{file}` → the file's `ETag` (or, for LFS files, which
 *   answer with a redirect to a CDN, `X-Linked-Etag` and `X-Linked-Size`), `X-Repo-Commit`, and
 *   the `Location` to fetch it from;
 * - `GET` of that location, with `Range: bytes=N-` to resume a partial download.
 *
 * Errors carry the hub's `X-Error-Code` / `X-Error-Message` headers when it sends them. Failures
 * that another try may cure (a dropped connection, 5xx, 429, a stall) are retried; having no
 * network at all (connection refused, no DNS, no route) fails at once.
 */
import { createReadStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { HubAuthError, HubConnectionError, HubDownloadError, HubError, HubNotFoundError, type RepoType } from './hub-errors.js';
import type { DownloadReporter } from './progress.js';

export interface HubClientOptions {
  /** e.g. `https://huggingface.co`, without a trailing slash. */
  endpoint: string;
  /** Default `model`. */
  repoType?: RepoType;
  token?: string;
  reporter: DownloadReporter;
  /** How many times a failed transfer is tried again (default 5). */
  retries?: number;
  /** Wait before the first retry, doubled for each next one (default 1000 ms). */
  retryDelayMs?: number;
  /** A transfer that receives nothing for this long is aborted and retried (default 60 s). */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RepoInfo {
  /** The commit the revision points at. */
  sha: string;
  /** Every file of the repo at that commit (paths relative to the repo root). */
  siblings: string[];
}

export interface FileMetadata {
  /** The blob's name in the cache: the ETag without quotes or `W/`. */
  etag: string;
  /** The file's size in bytes, when the hub says. */
  size?: number;
  /** `X-Repo-Commit`, when the hub says. */
  commit?: string;
  /** Where to GET the bytes (the CDN for LFS files). */
  location: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Thrown inside the client for failures worth another try (connection dropped, 5xx, 429, stall). */
class RetryableError extends Error {}

/**
 * Error codes that mean there is no way to the server at all, so retrying only makes the user wait
 * (five retries with back-off took half a minute): refused, no DNS answer, no route, and undici's
 * connect timeout (nothing answered for 10 s).
 */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_CONNECT_TIMEOUT']);

/** `W/"abc"` → `abc`. */
export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** A path inside a repo: relative, no `.` or `..` parts, no empty parts, no backslashes. */
const isRepoPath = (path: string): boolean => path !== '' && !path.includes('\\') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class HubClient {
  private readonly origin: string;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly idleTimeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly repoType: RepoType;

  constructor(
    /** The repo as the user wrote it, for messages. */
    private readonly spec: string,
    private readonly repoId: string,
    private readonly options: HubClientOptions,
  ) {
    try {
      this.origin = new URL(options.endpoint).origin;
    } catch {
      throw new HubError(spec, `the hub endpoint '${options.endpoint}' is not a URL`, 'set HF_ENDPOINT to a URL such as https://huggingface.co, or unset it');
    }
    this.repoType = options.repoType ?? 'model';
    this.retries = options.retries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The commit `revision` points at and the files there. */
  async repoInfo(revision: string): Promise<RepoInfo> {
    const url = `${this.options.endpoint}/api/${this.repoType}s/${encodePath(this.repoId)}/revision/${encodeURIComponent(revision)}`;
    const response = await this.withRetries(async () => {
      const response = await this.send(url, { method: 'GET', headers: { accept: 'application/json' } });
      await this.throwIfFailed(response, revision);
      return response;
    });
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new HubError(this.spec, `the hub's repo info at ${url} is not JSON (${(error as Error).message})`, 'check HF_ENDPOINT: it must point at a Hugging Face hub');
    }
    const { sha, siblings } = (body ?? {}) as { sha?: unknown; siblings?: unknown };
    if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha) || !Array.isArray(siblings)) {
      throw new HubError(this.spec, `the hub's repo info at ${url} has no commit "sha" or "siblings" list`, 'check HF_ENDPOINT: it must point at a Hugging Face hub');
    }
    const names = siblings.map((s) => (s as { rfilename?: unknown } | null)?.rfilename).filter((n): n is string => typeof n === 'string');
    const outside = names.find((name) => !isRepoPath(name));
    if (outside !== undefined) {
      // Each name becomes a path under the snapshot folder: refuse one that would leave it.
      throw new HubError(this.spec, `the hub's repo info at ${url} lists the file ${JSON.stringify(outside)}, which is not a path inside the repo`, 'check HF_ENDPOINT: it must point at a Hugging Face hub');
    }
    return { sha, siblings: names };
  }

  /** HEAD of the resolve URL: the file's ETag, size and download location, without its bytes. */
  async fileMetadata(commit: string, file: string): Promise<FileMetadata> {
    let url = `${this.options.endpoint}/${this.repoType === 'model' ? '' : `${this.repoType}s/`}${encodePath(this.repoId)}/resolve/${encodeURIComponent(commit)}/${encodePath(file)}`;
    return this.withRetries(async () => {
      for (let hops = 0; hops < 10; hops++) {
        const response = await this.send(url, { method: 'HEAD', redirect: 'manual', headers: { 'accept-encoding': 'identity' } });
        const location = response.headers.get('location');
        const linkedEtag = response.headers.get('x-linked-etag');
        const etag = linkedEtag ?? response.headers.get('etag');
        const redirected = response.status >= 300 && response.status < 400;
        if (redirected && location && !linkedEtag) {
          // A redirect without file metadata: a renamed repo. Follow it and ask again.
          url = new URL(location, url).toString();
          continue;
        }
        await this.throwIfFailed(response, commit, file);
        if (!etag) {
          throw new HubDownloadError(this.spec, file, `the server at ${url} sent no ETag, so the file cannot be cached`, 'check HF_ENDPOINT (and any proxy): it must point at a Hugging Face hub');
        }
        const sizeHeader = response.headers.get('x-linked-size') ?? (redirected ? null : response.headers.get('content-length'));
        const size = sizeHeader !== null && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : undefined;
        return {
          etag: normalizeEtag(etag),
          size,
          commit: response.headers.get('x-repo-commit') ?? undefined,
          location: redirected && location ? new URL(location, url).toString() : url,
        };
      }
      throw new HubDownloadError(this.spec, file, `too many redirects from ${url}`, 'check HF_ENDPOINT and any proxy between here and the hub');
    });
  }

  /**
   * Downloads a file into `blobPath`: bytes go to `<blobPath>.incomplete` (resumed with a Range
   * request when a previous try left some), the size and — for LFS files, whose ETag is their
   * sha256 — the hash are checked, and only then is the file renamed to `blobPath`.
   */
  async downloadBlob(file: string, metadata: FileMetadata, blobPath: string): Promise<void> {
    const incomplete = `${blobPath}.incomplete`;
    const expected = metadata.size;
    for (let attempt = 0; ; attempt++) {
      let have = existsSync(incomplete) ? statSync(incomplete).size : 0;
      if (expected !== undefined && have > expected) {
        rmSync(incomplete, { force: true });
        have = 0;
      }
      if (expected !== undefined && have === expected) break;
      const progress = this.options.reporter.start(file, expected, have);
      try {
        await this.receive(file, metadata.location, incomplete, have, expected, (n) => progress.update(n));
        const size = statSync(incomplete).size;
        if (expected !== undefined && size < expected) throw new RetryableError(`the connection ended after ${size} of ${expected} bytes`);
        progress.done();
        break;
      } catch (error) {
        const reason = (error as Error).message;
        progress.fail(reason);
        if (!(error instanceof RetryableError)) throw error;
        if (attempt >= this.retries) {
          throw new HubDownloadError(this.spec, file, `the download failed ${attempt + 1} times (last: ${reason}); the ${existsSync(incomplete) ? statSync(incomplete).size : 0} bytes received are kept in ${incomplete}`);
        }
        await sleep(this.retryDelayMs * 2 ** attempt);
      }
    }
    await this.verify(file, incomplete, metadata);
    renameSync(incomplete, blobPath);
  }

  private async verify(file: string, incomplete: string, metadata: FileMetadata): Promise<void> {
    const size = statSync(incomplete).size;
    const fail = (problem: string) => {
      rmSync(incomplete, { force: true });
      return new HubDownloadError(this.spec, file, `${problem}; the partial file was deleted`, 'run again to download it afresh; if it keeps happening, a proxy may be altering the file');
    };
    if (metadata.size !== undefined && size !== metadata.size) throw fail(`received ${size} bytes but the hub announced ${metadata.size}`);
    if (SHA256.test(metadata.etag)) {
      const digest = await sha256File(incomplete);
      if (digest !== metadata.etag) throw fail(`its sha256 is ${digest} but the hub says ${metadata.etag}`);
    }
  }

  /** One GET of `url` into `path`, starting at byte `have`. Network failures come out as RetryableError. */
  private async receive(file: string, url: string, path: string, have: number, expected: number | undefined, onBytes: (received: number) => void): Promise<void> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new RetryableError(`no data for ${this.idleTimeoutMs / 1000} s`)), this.idleTimeoutMs);
    };
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (have > 0) headers.range = `bytes=${have}-`;
    arm();
    try {
      const response = await this.send(url, { method: 'GET', headers, signal: controller.signal });
      if (response.status === 416) {
        // The partial file is not a prefix of this file (or is already whole): start over.
        await response.body?.cancel();
        rmSync(path, { force: true });
        throw new RetryableError('the server refused to resume (HTTP 416), starting over');
      }
      if (response.status === 404) {
        await response.body?.cancel();
        throw new HubDownloadError(this.spec, file, `its download location ${url} answered 404`, 'run again: the hub hands out a fresh location each time');
      }
      await this.throwIfFailed(response, undefined, file);
      let append = have > 0 && response.status === 206;
      if (append) {
        const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
        if (!range || Number(range[1]) !== have || (expected !== undefined && range[2] !== '*' && Number(range[2]) !== expected)) {
          await response.body?.cancel();
          rmSync(path, { force: true });
          throw new RetryableError(`the server resumed at the wrong place (${response.headers.get('content-range') ?? 'no Content-Range'}), starting over`);
        }
      } else {
        append = false; // 200: the server sent the whole file, so the partial one is replaced.
      }
      const handle = await open(path, append ? 'a' : 'w');
      let received = append ? have : 0;
      try {
        if (response.body) {
          for await (const chunk of response.body) {
            arm();
            await handle.write(chunk);
            received += chunk.byteLength;
            onBytes(received);
          }
        }
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof HubError || error instanceof RetryableError) throw error;
      const reason = controller.signal.aborted && controller.signal.reason instanceof RetryableError ? controller.signal.reason : error;
      throw new RetryableError(describeNetworkError(reason));
    } finally {
      clearTimeout(timer);
    }
  }

  /** fetch with the token (sent only to the hub itself, never to the CDN it redirects to). */
  private async send(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', 'irlens (node)');
    if (this.options.token && new URL(url).origin === this.origin) headers.set('authorization', `Bearer ${this.options.token}`);
    try {
      return await this.fetchImpl(url, { ...init, headers });
    } catch (error) {
      if (error instanceof RetryableError) throw error;
      if (isUnreachable(error)) {
        throw new HubConnectionError(this.spec, `cannot reach the hub at ${new URL(url).origin} (${describeNetworkError(error)})`, 'check the network connection and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the local cache');
      }
      throw new RetryableError(describeNetworkError(error));
    }
  }

  /** Maps an HTTP failure to a typed error; 5xx and 429 are worth a retry. */
  private async throwIfFailed(response: Response, revision?: string, file?: string): Promise<void> {
    if (response.ok) return;
    if (response.status >= 300 && response.status < 400) return;
    const code = response.headers.get('x-error-code') ?? '';
    const serverMessage = response.headers.get('x-error-message') ?? undefined;
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    if (status === 401 || status === 403) throw new HubAuthError(this.spec, status, this.options.token !== undefined, serverMessage, code || undefined, this.repoType);
    if (status === 404) {
      const what = code === 'RevisionNotFound' ? 'revision' : code === 'EntryNotFound' || (file !== undefined && code !== 'RepoNotFound') ? 'file' : 'repo';
      throw new HubNotFoundError(this.spec, what, revision ?? '?', file, this.repoType);
    }
    if (status === 429 || status >= 500) throw new RetryableError(`HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`);
    throw new HubError(this.spec, `the hub answered HTTP ${status}${serverMessage ? ` (${serverMessage})` : ''}${file ? ` for ${file}` : ''}`, 'check the id, the revision and HF_ENDPOINT');
  }

  /** Runs `fn`, trying again after network failures, 5xx and 429. */
  private async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error;
        if (attempt >= this.retries) {
          throw new HubConnectionError(this.spec, `cannot reach the hub at ${this.options.endpoint} (${error.message})`, 'check the network connection and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the local cache');
        }
        await sleep(this.retryDelayMs * 2 ** attempt);
      }
    }
  }
}

/** The error codes in fetch's nested errors (`cause` chains, and AggregateError's `errors` when several addresses were tried). */
function networkErrorCodes(error: unknown, depth = 0): string[] {
  if (!(error instanceof Error) || depth > 4) return [];
  const { code, cause, errors } = error as Error & { code?: unknown; cause?: unknown; errors?: unknown };
  const nested = [cause, ...(Array.isArray(errors) ? errors : [])].flatMap((inner) => networkErrorCodes(inner, depth + 1));
  return typeof code === 'string' ? [code, ...nested] : nested;
}

/**
 * True when the request never reached a server: every code found says there is no way to it, or
 * fetch refused the port itself (it never connects to ports such as 9 or 6000).
 */
function isUnreachable(error: unknown): boolean {
  const codes = networkErrorCodes(error);
  if (codes.length > 0) return codes.every((code) => UNREACHABLE_CODES.has(code));
  return describeNetworkError(error).endsWith('bad port');
}

/** A readable reason from fetch's nested errors (`fetch failed` → `connect ECONNREFUSED ...`). */
function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    parts.push(current.message);
    current = (current as Error & { cause?: unknown }).cause;
  }
  return parts.join(': ') || String(error);
}

/** The hex sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
