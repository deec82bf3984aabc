/**
 * Errors the io layer raises for files a user can fix. Each message names the file, says what is
 * wrong with it and what to do about it.
 */
import { UserError } from '../errors.js';
import { previewJson } from './preview.js';

export class CheckpointError extends UserError {
  override name = 'CheckpointError';
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly hint = 'check that the file was written completely, or download/export it again',
  ) {
    super(`${file}: ${problem}; ${hint}`);
  }
}

/**
 * A pickle (inside a torch .bin) asked for a Python global outside the state-dict whitelist.
 * Nothing from the pickle is ever executed; the load stops at the global's import.
 */
export class UnsafePickleError extends CheckpointError {
  override name = 'UnsafePickleError';
  constructor(
    file: string,
    readonly global: string,
  ) {
    super(
      file,
      `the pickle asks for the Python global '${global}', which a torch state dict never needs, so it was refused and nothing ran`,
      'only load checkpoints you trust; convert trusted ones to safetensors, or re-save the weights with torch.save(model.state_dict())',
    );
  }
}

/**
 * A model folder names a file outside itself: a weight_map shard, tokenizer.json or config.json
 * that leads elsewhere by `..`, an absolute path or a symlink. Nothing outside is read.
 */
export class OutsideFolderError extends CheckpointError {
  override name = 'OutsideFolderError';
  constructor(
    file: string,
    /** What names the file, e.g. "weight_map entry 'lm_head.weight'" or 'tokenizer.json'. */
    readonly entry: string,
    /** Where it leads: the name as written, or a symlink's real target. */
    readonly target: string,
    readonly folder: string,
  ) {
    super(
      file,
      `${entry} leads to ${previewJson(target, 200)}, outside the model folder ${folder}, so it was not read`,
      'a model is read only from files inside its folder: copy the file into the folder (or fix the entry) instead of pointing elsewhere',
    );
  }
}

/** A config.json that is unreadable, malformed or asks for something irlens does not implement. */
export class ConfigError extends UserError {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** What a failed write left at its destination. */
export type WriteOutcome = 'previous' | 'nothing' | 'new';

const WRITE_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full: free some space on it (or write somewhere else) and run again',
  EDQUOT: 'your disk quota is used up: free some of it (or write somewhere else) and run again',
  EACCES: 'check that you may write to that folder, or write somewhere else',
  EPERM: 'check that you may write to that folder, or write somewhere else',
  EROFS: 'the disk is read-only: write somewhere else',
};

/** Writing an output failed (a full disk, no permission ...); says what is left at the path and what to do. */
export class WriteFailedError extends UserError {
  override name = 'WriteFailedError';
  constructor(
    readonly path: string,
    /** The file-system error code, e.g. ENOSPC. */
    readonly code: string,
    readonly outcome: WriteOutcome,
    cause?: unknown,
  ) {
    const left = {
      previous: 'the previous version was kept unchanged',
      nothing: 'nothing was written there',
      new: 'the new version is in place, but the write could not be finished (a power cut may lose it, or an old copy may be left beside it)',
    }[outcome];
    const root = cause instanceof WriteFailedError ? cause.cause : cause;
    const reason = root instanceof Error ? root.message : code;
    super(`cannot write ${path} (${reason}); ${left}; ${WRITE_HINTS[code] ?? 'check the disk and the folder, then run again'}`, { cause });
  }
}
