/**
 * Errors from fetching a model or a data set off the Hugging Face hub. Each message names the repo
 * as the user wrote it (and the revision or file where it matters), says what went wrong and what
 * to do about it.
 */
import { UserError } from '../errors.js';

/** The kinds of hub repo irlens reads. */
export type RepoType = 'model' | 'dataset';

/** How messages speak of each kind of repo, and how a user does without the hub. */
const REPO_WORDS: Record<RepoType, { noun: string; local: string }> = {
  model: { noun: 'model', local: 'pass the path of a local checkpoint folder' },
  dataset: { noun: 'data set', local: 'pass the path of a local data file or folder' },
};

export const repoNoun = (repoType: RepoType): string => REPO_WORDS[repoType].noun;

/** The way around the hub for this kind of repo, as a hint ("pass the path of a local ..."). */
export const localAlternative = (repoType: RepoType): string => REPO_WORDS[repoType].local;

export class HubError extends UserError {
  override name = 'HubError';
  constructor(
    /** The repo as the user wrote it, e.g. `EleutherAI/pythia-70m` or `jaredjoss/jigsaw-long-2000@main`. */
    readonly repo: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${repo}: ${problem}; ${hint}`);
  }
}

/**
 * The hub could not be reached: at once when there is no network (connection refused, no DNS, no
 * route), or after retries when the connection keeps dropping or the hub keeps answering 5xx.
 */
export class HubConnectionError extends HubError {
  override name = 'HubConnectionError';
}

/** The string is neither an existing local path nor a well-formed hub id. */
export class RepoIdError extends HubError {
  override name = 'RepoIdError';
}

/**
 * The hub answered 401 or 403: the repo is gated or private, or the token is wrong. (Without a
 * token the hub also answers 401 for repos that do not exist, so as not to reveal private ones.)
 */
export class HubAuthError extends HubError {
  override name = 'HubAuthError';
  constructor(
    repo: string,
    readonly status: number,
    readonly tokenSent: boolean,
    serverMessage?: string,
    /** The hub's X-Error-Code, e.g. GatedRepo or RepoNotFound. */
    readonly errorCode?: string,
    repoType: RepoType = 'model',
  ) {
    const noun = repoNoun(repoType);
    const said = `HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`;
    const maybeMissing = errorCode === 'RepoNotFound';
    const tokenPart = tokenSent ? ' and the token sent does not grant access to it' : ', and no token was sent';
    super(
      repo,
      maybeMissing
        ? `the hub refused access (${said}): either no such ${noun} exists or it is private or gated${tokenPart}`
        : `the hub refused access (${said}); the ${noun} is gated or private${tokenPart}`,
      (maybeMissing ? 'check the spelling of the id; if it is right, ' : '') +
        (tokenSent
          ? `check that HF_TOKEN holds a token of an account that may read this repo (for a gated ${noun}, accept its terms on its hub page first)`
          : `set HF_TOKEN to an access token (https://huggingface.co/settings/tokens) of an account that may read it; for a gated ${noun}, accept its terms on its hub page first`),
    );
  }
}

/** The hub answered 404: no such repo, no such revision, or no such file. */
export class HubNotFoundError extends HubError {
  override name = 'HubNotFoundError';
  constructor(
    repo: string,
    readonly what: 'repo' | 'revision' | 'file',
    readonly revision: string,
    readonly file?: string,
    repoType: RepoType = 'model',
  ) {
    const noun = repoNoun(repoType);
    super(
      repo,
      what === 'repo'
        ? `no such ${noun} on the hub (HTTP 404), and no local path by that name`
        : what === 'revision'
          ? `the ${noun} has no revision '${revision}' (HTTP 404)`
          : `revision '${revision}' has no file '${file ?? '?'}' (HTTP 404)`,
      what === 'repo'
        ? `check the spelling of the id (owner/name, as in the URL of its hub page), or ${localAlternative(repoType)}`
        : what === 'revision'
          ? "pass a branch, tag or full 40-character commit hash that exists on its hub page (Files and versions)"
          : 'the repo changed while it was being downloaded; run again',
    );
  }
}

/** Offline mode (HF_HUB_OFFLINE) was asked for, and the cache does not hold the repo. */
export class HubOfflineError extends HubError {
  override name = 'HubOfflineError';
  constructor(
    repo: string,
    readonly revision: string,
    readonly cachePath: string,
    detail: string,
    repoType: RepoType = 'model',
  ) {
    super(
      repo,
      `offline mode (HF_HUB_OFFLINE) is on and revision '${revision}' is not in the cache at ${cachePath} (${detail})`,
      `download it once with network access (unset HF_HUB_OFFLINE), point HF_HUB_CACHE at a cache that has it, or ${localAlternative(repoType)}`,
    );
  }
}

/** A transfer failed, or what arrived does not match what the hub announced. */
export class HubDownloadError extends HubError {
  override name = 'HubDownloadError';
  constructor(
    repo: string,
    readonly file: string,
    problem: string,
    hint = 'run again: a partial download resumes where it stopped; check the network (and HF_ENDPOINT) if it keeps failing',
  ) {
    super(repo, `${file}: ${problem}`, hint);
  }
}

/** The repo exists but does not hold what irlens can load (a checkpoint, data files). */
export class HubRepoContentError extends HubError {
  override name = 'HubRepoContentError';
}
