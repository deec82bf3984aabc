/**
 * The on-disk cache that huggingface_hub (and transformers, datasets, and every tool built on them)
 * shares; a data set's folder is `datasets--<owner>--<name>`, laid out the same way:
 *
 * ```
 * <cache>/models--<org>--<name>/
 *   blobs/<etag>                    file contents, named by the hub's ETag (sha256 for LFS files,
 *                                   the git blob sha1 for the others)
 *   snapshots/<commit>/<path>       relative symlinks into blobs/ (a file in a repo sub-folder,
 *                                   e.g. data/train-00000-of-00001.parquet, keeps its folders)
 *   refs/<branch or tag>            the commit hash that revision pointed to
 * ```
 *
 * A blob being downloaded is `blobs/<etag>.incomplete` and only renamed to its final name once
 * its size and hash are checked, so a snapshot never points at half a file.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from './atomic.js';
import type { RepoType } from './hub-errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** True for the spellings huggingface_hub accepts as "on": 1, true, yes, on. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

/** `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`. */
export function hubCacheDir(env: Env = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return expandHome(explicit);
  return join(hfHome(env), 'hub');
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: Env = process.env): string {
  if (env.HF_HOME) return expandHome(env.HF_HOME);
  return join(env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'huggingface');
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** `org/name` → `models--org--name` or `datasets--org--name` (huggingface_hub's `repo_folder_name`). */
export function repoFolderName(repoId: string, repoType: RepoType = 'model'): string {
  return [`${repoType}s`, ...repoId.split('/')].join('--');
}

export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/**
 * The files under a folder as `/`-separated relative paths, sub-folders included, sorted; entries
 * whose name starts with a dot (a half-made link, .git) and links to missing blobs are left out.
 */
export function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .map((path) => path.split(sep).join('/'))
    .filter((path) => !path.split('/').some((part) => part.startsWith('.')) && existsSync(join(folder, path)) && statSync(join(folder, path)).isFile())
    .sort();
}

/** Paths inside one repo's cache folder. */
export class RepoCache {
  readonly root: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
    readonly repoType: RepoType = 'model',
  ) {
    this.root = join(cacheDir, repoFolderName(repoId, repoType));
  }

  /** irlens's own lock for a blob (huggingface_hub's `.locks/` folder, a name of our own). */
  lockPath(etag: string): string {
    return join(this.cacheDir, '.locks', repoFolderName(this.repoId, this.repoType), `${etag}.irlens.lock`);
  }

  blobPath(etag: string): string {
    return join(this.root, 'blobs', etag);
  }

  snapshotDir(commit: string): string {
    return join(this.root, 'snapshots', commit);
  }

  pointerPath(commit: string, file: string): string {
    return join(this.snapshotDir(commit), ...file.split('/'));
  }

  refPath(revision: string): string {
    return join(this.root, 'refs', ...revision.split('/'));
  }

  /** The commit a revision means locally: itself if it is a commit hash, else what refs/ says. */
  commitFor(revision: string): string | undefined {
    if (COMMIT_HASH.test(revision)) return revision;
    const ref = this.refPath(revision);
    if (!existsSync(ref)) return undefined;
    const commit = readFileSync(ref, 'utf8').trim();
    return COMMIT_HASH.test(commit) ? commit : undefined;
  }

  /** Records that `revision` (a branch or tag) points at `commit`; a commit hash needs no ref. */
  writeRef(revision: string, commit: string): void {
    if (revision === commit) return;
    const ref = this.refPath(revision);
    if (existsSync(ref) && readFileSync(ref, 'utf8').trim() === commit) return;
    mkdirSync(dirname(ref), { recursive: true });
    writeFileAtomic(ref, commit);
  }

  /** Whether the snapshot has `file` and it leads to an existing blob (a dangling link does not count). */
  hasFile(commit: string, file: string): boolean {
    return existsSync(this.pointerPath(commit, file));
  }

  /** The repo paths (`data/train.parquet`) a snapshot holds. */
  snapshotFiles(commit: string): string[] {
    return filesUnder(this.snapshotDir(commit));
  }

  /**
   * Makes `snapshots/<commit>/<file>` a relative symlink to the blob, replacing whatever was
   * there in one rename. Where symlinks are not allowed (Windows without developer mode) the blob
   * is copied instead, as huggingface_hub does.
   */
  linkSnapshotFile(commit: string, file: string, etag: string): string {
    const pointer = this.pointerPath(commit, file);
    const blob = this.blobPath(etag);
    mkdirSync(dirname(pointer), { recursive: true });
    const temporary = join(dirname(pointer), `.${randomBytes(6).toString('hex')}.tmp`);
    try {
      symlinkSync(relative(dirname(pointer), blob), temporary);
    } catch {
      copyFileSync(blob, temporary);
    }
    try {
      renameSync(temporary, pointer);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    return pointer;
  }
}

const LOCK_STALE_MS = 30 * 60 * 1000;

function lockIsStale(path: string): boolean {
  let owner: string;
  let ageMs: number;
  try {
    owner = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    return false; // gone already: the next try takes it
  }
  const [host, pidText] = owner.split(' ');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return ageMs > LOCK_STALE_MS;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `fn` holding an exclusive lock file, so that two irlens processes (or two calls in one)
 * never append to the same `.incomplete` blob. A lock left by a process that died is taken over.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, pollMs = 100): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    try {
      writeFileSync(path, `${hostname()} ${process.pid}`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockIsStale(path)) rmSync(path, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
