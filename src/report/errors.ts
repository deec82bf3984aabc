/**
 * Errors a user can cause when asking for a report: pointing at a folder that is not an irlens
 * run, or at a run whose files were damaged. Each message says what was wrong and what to do.
 */
import { UserError } from '../errors.js';

export class ReportError extends UserError {
  override name = 'ReportError';
}

/** The folder does not exist, is a file, or holds neither a config.yaml nor any completed stage. */
export class NotARunFolderError extends ReportError {
  override name = 'NotARunFolderError';
  constructor(readonly folder: string, why: string) {
    super(`${folder} is not an irlens run folder: ${why}. Give the folder \`irlens run\` wrote (runs/<name>, with config.yaml and one folder per stage)`);
  }
}

/** A file a completed stage wrote cannot be read as what that stage writes. */
export class RunFileError extends ReportError {
  override name = 'RunFileError';
  constructor(readonly file: string, why: string) {
    super(`${file} cannot be read (${why}); run the stage that wrote it again (irlens run ... --force <stage>)`);
  }
}
