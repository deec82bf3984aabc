/**
 * A stand-in for the Hugging Face hub on 127.0.0.1, for the hub client's tests: the model- and
 * dataset-info APIs, `resolve` URLs (data sets' under /datasets/; LFS files answer with a redirect
 * to a "CDN" path carrying X-Linked-Etag and X-Linked-Size, the others with their git blob sha1 as
 * ETag), X-Repo-Commit, Range requests, a gated repo, X-Error-Code on 404s. It logs every request
 * and can cut a transfer midway or corrupt one, to test resuming and verification.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeCommit {
  sha: string;
  files: Map<string, Buffer>;
}

export interface FakeRepo {
  id: string;
  /** Default `model`. */
  type?: 'model' | 'dataset';
  commits: FakeCommit[];
  /** Branch and tag names → commit sha. */
  refs: Record<string, string>;
  /** When set, the repo is gated: requests without `Authorization: Bearer <token>` get 401. */
  token?: string;
  /** With `token`: private rather than gated, so the hub hides it as if it did not exist, info included. */
  private?: boolean;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

const LFS = /\.(safetensors|bin|msgpack|h5|pt|parquet)$/;

export const gitBlobSha1 = (content: Buffer) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
export const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');
/** A stable fake commit hash for a label. */
export const commitSha = (label: string) => createHash('sha1').update(`commit ${label}`).digest('hex');

/** Every file of a fixture folder, plus extras (files a model does not need). */
export function filesOf(folder: string, extra: Record<string, string | Buffer> = {}): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(folder).sort()) files.set(name, readFileSync(join(folder, name)));
  for (const [name, content] of Object.entries(extra)) files.set(name, Buffer.from(content));
  return files;
}

/** The ETag the hub gives a file: sha256 for LFS files, the git blob sha1 for the rest. */
export const etagOf = (name: string, content: Buffer) => (LFS.test(name) ? sha256(content) : gitBlobSha1(content));

const repoKey = (type: string, id: string) => `${type}:${id}`;

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  private readonly cdn = new Map<string, Buffer>();
  private readonly interruptions = new Map<string, number>();
  private readonly corruptions = new Map<string, number>();

  private constructor(
    private readonly servers: Server[],
    /** The hub. */
    readonly url: string,
    /** The "CDN" that LFS files redirect to: another origin, like the real one. */
    readonly cdnUrl: string,
    private readonly repos: Map<string, FakeRepo>,
  ) {
    for (const repo of repos.values()) {
      for (const commit of repo.commits) {
        for (const [name, content] of commit.files) if (LFS.test(name)) this.cdn.set(sha256(content), content);
      }
    }
  }

  /** `cdnHost` names the CDN's host in redirects (default 127.0.0.1; both servers listen there). */
  static async start(repos: FakeRepo[], options: { cdnHost?: string } = {}): Promise<FakeHub> {
    let hub: FakeHub | undefined;
    const servers = [0, 1].map(() => createServer((req, res) => hub!.handle(req, res)));
    const urls: string[] = [];
    for (const server of servers) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      urls.push(`http://${urls.length === 1 ? (options.cdnHost ?? '127.0.0.1') : '127.0.0.1'}:${(server.address() as AddressInfo).port}`);
    }
    hub = new FakeHub(servers, urls[0]!, urls[1]!, new Map(repos.map((r) => [repoKey(r.type ?? 'model', r.id), r])));
    return hub;
  }

  /** The next `times` downloads of the blob with this sha256 stop after half their bytes. */
  interrupt(blobSha256: string, times = 1): void {
    this.interruptions.set(blobSha256, times);
  }

  /** The next `times` downloads of the blob with this sha256 arrive with one byte flipped. */
  corrupt(blobSha256: string, times = 1): void {
    this.corruptions.set(blobSha256, times);
  }

  /** Requests logged since the last call (and forgets them). */
  take(): LoggedRequest[] {
    return this.requests.splice(0);
  }

  async close(): Promise<void> {
    for (const server of this.servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    // Routes are matched on the raw path, so that an encoded revision such as refs%2Fpr%2F1 stays one part.
    const rawPath = url.pathname;
    const path = decodeURIComponent(rawPath);
    this.requests.push({ method: req.method ?? '?', path, range: req.headers.range, authorization: req.headers.authorization });
    const fail = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'x-error-code': code, 'x-error-message': message, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: message }));
    };

    if (path.startsWith('/cdn/')) return this.serveBlob(req, res, path.slice('/cdn/'.length));

    const api = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(rawPath);
    const resolveMatch = api ? null : /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(rawPath);
    const type = api ? api[1]!.slice(0, -1) : resolveMatch?.[1] ? 'dataset' : 'model';
    const repoId = decodeURIComponent(api?.[2] ?? resolveMatch?.[2] ?? '');
    const revision = decodeURIComponent(api?.[3] ?? resolveMatch?.[3] ?? '');
    if (!repoId || !revision) return fail(404, 'NotFound', 'no such route');
    const repo = this.repos.get(repoKey(type, repoId));
    const hidden = repo?.private === true && req.headers.authorization !== `Bearer ${repo.token}`;
    // Like the hub: a missing (or hidden private) repo is a 404 to an authenticated caller, a 401 to an anonymous one.
    if (!repo || hidden) return req.headers.authorization ? fail(404, 'RepoNotFound', 'Repository not found') : fail(401, 'RepoNotFound', 'Repository not found');
    // Like the hub: a gated repo's model info is public, its files are not.
    if (repo.token && !api && req.headers.authorization !== `Bearer ${repo.token}`) {
      return fail(401, 'GatedRepo', `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it.`);
    }
    const sha = repo.refs[revision] ?? revision;
    const commit = repo.commits.find((c) => c.sha === sha);
    if (!commit) return fail(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);

    if (api) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: repo.id, modelId: repo.id, sha: commit.sha, siblings: [...commit.files.keys()].map((rfilename) => ({ rfilename })) }));
      return;
    }
    const file = decodeURIComponent(resolveMatch![4]!);
    const content = commit.files.get(file);
    if (!content) return fail(404, 'EntryNotFound', `${file} does not exist on "${revision}"`);
    const etag = etagOf(file, content);
    if (LFS.test(file)) {
      res.writeHead(302, {
        location: `${this.cdnUrl}/cdn/${etag}`,
        'x-repo-commit': commit.sha,
        'x-linked-etag': `"${etag}"`,
        'x-linked-size': String(content.length),
        etag: `W/"${gitBlobSha1(Buffer.from(`pointer ${etag}`))}"`,
        'content-length': '0',
      });
      res.end();
      return;
    }
    res.writeHead(200, { etag: `"${etag}"`, 'x-repo-commit': commit.sha, 'content-length': String(content.length), 'accept-ranges': 'bytes' });
    res.end(req.method === 'HEAD' ? undefined : content);
  }

  private serveBlob(req: IncomingMessage, res: ServerResponse, etag: string): void {
    let content = this.cdn.get(etag);
    if (!content) {
      res.writeHead(404);
      res.end();
      return;
    }
    const corruptions = this.corruptions.get(etag) ?? 0;
    if (corruptions > 0 && req.method === 'GET') {
      this.corruptions.set(etag, corruptions - 1);
      content = Buffer.from(content);
      content[content.length >> 1]! ^= 0xff;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) start = Number(range[1]);
    if (start >= content.length && range) {
      res.writeHead(416, { 'content-range': `bytes */${content.length}` });
      res.end();
      return;
    }
    const body = content.subarray(start);
    const headers: Record<string, string> = { etag: `"${etag}"`, 'content-length': String(body.length), 'accept-ranges': 'bytes' };
    if (range) headers['content-range'] = `bytes ${start}-${content.length - 1}/${content.length}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD') return void res.end();
    const left = this.interruptions.get(etag) ?? 0;
    if (left > 0) {
      this.interruptions.set(etag, left - 1);
      // Half the bytes, then the connection drops: the client sees a truncated body.
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  }
}

/** The URL of a port on 127.0.0.1 that nothing listens on (any longer): connecting is refused. */
export async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** fetch that counts its calls (an attempt that fails before any answer counts too). */
export function countingFetch(inner: typeof fetch = fetch): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const counted = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    calls++;
    return inner(input, init);
  }) as typeof fetch;
  return { fetch: counted, calls: () => calls };
}
