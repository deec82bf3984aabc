/**
 * Errors from fetching a model off the Hugging Face hub. Each message names the model id (and
 * the revision or file where it matters), says what went wrong and what to do about it.
 */
export class HubError extends Error {
  override name = 'HubError';
  constructor(
    /** The model id as the user wrote it, e.g. `EleutherAI/pythia-70m`. */
    readonly modelId: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${modelId}: ${problem}; ${hint}`);
  }
}

/** The hub could not be reached (connection refused, DNS, repeated 5xx) even after retries. */
export class HubConnectionError extends HubError {
  override name = 'HubConnectionError';
}

/** The string is neither an existing local folder nor a well-formed hub model id. */
export class ModelIdError extends HubError {
  override name = 'ModelIdError';
}

/**
 * The hub answered 401 or 403: the repo is gated or private, or the token is wrong. (Without a
 * token the hub also answers 401 for repos that do not exist, so as not to reveal private ones.)
 */
export class HubAuthError extends HubError {
  override name = 'HubAuthError';
  constructor(
    modelId: string,
    readonly status: number,
    readonly tokenSent: boolean,
    serverMessage?: string,
    /** The hub's X-Error-Code, e.g. GatedRepo or RepoNotFound. */
    readonly errorCode?: string,
  ) {
    const said = `HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`;
    const maybeMissing = errorCode === 'RepoNotFound';
    super(
      modelId,
      maybeMissing
        ? `the hub refused access (${said}): either no such model exists or it is private or gated${tokenSent ? ' and the token sent does not grant access to it' : ', and no token was sent'}`
        : `the hub refused access (${said}); the repo is gated or private${tokenSent ? ' and the token sent does not grant access to it' : ', and no token was sent'}`,
      (maybeMissing ? 'check the spelling of the id; if it is right, ' : '') +
        (tokenSent
          ? 'check that HF_TOKEN holds a token of an account that may read this repo (for a gated model, accept its terms on the model page first)'
          : 'set HF_TOKEN to an access token (https://huggingface.co/settings/tokens) of an account that may read it; for a gated model, accept its terms on the model page first'),
    );
  }
}

/** The hub answered 404: no such repo, no such revision, or no such file. */
export class HubNotFoundError extends HubError {
  override name = 'HubNotFoundError';
  constructor(
    modelId: string,
    readonly what: 'repo' | 'revision' | 'file',
    readonly revision: string,
    readonly file?: string,
  ) {
    super(
      modelId,
      what === 'repo'
        ? 'no such model on the hub (HTTP 404), and no local folder by that name'
        : what === 'revision'
          ? `the model has no revision '${revision}' (HTTP 404)`
          : `revision '${revision}' has no file '${file ?? '?'}' (HTTP 404)`,
      what === 'repo'
        ? 'check the spelling of the id (org/name, as in the model page URL), or pass the path of a local checkpoint folder'
        : what === 'revision'
          ? 'pass a branch, tag or full 40-character commit hash that exists on the model page (Files and versions)'
          : 'the repo changed while it was being downloaded; run again',
    );
  }
}

/** Offline mode (HF_HUB_OFFLINE) was asked for, and the cache does not hold the model. */
export class HubOfflineError extends HubError {
  override name = 'HubOfflineError';
  constructor(
    modelId: string,
    readonly revision: string,
    readonly cachePath: string,
    detail: string,
  ) {
    super(
      modelId,
      `offline mode (HF_HUB_OFFLINE) is on and revision '${revision}' is not in the cache at ${cachePath} (${detail})`,
      'download it once with network access (unset HF_HUB_OFFLINE), point HF_HUB_CACHE at a cache that has it, or pass a local checkpoint folder',
    );
  }
}

/** A transfer failed, or what arrived does not match what the hub announced. */
export class HubDownloadError extends HubError {
  override name = 'HubDownloadError';
  constructor(
    modelId: string,
    readonly file: string,
    problem: string,
    hint = 'run again: a partial download resumes where it stopped; check the network (and HF_ENDPOINT) if it keeps failing',
  ) {
    super(modelId, `${file}: ${problem}`, hint);
  }
}

/** The repo exists but does not hold a checkpoint irlens can load. */
export class HubRepoContentError extends HubError {
  override name = 'HubRepoContentError';
}
