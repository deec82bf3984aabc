/** Errors the text layer raises for problems a caller can fix. */
import { UserError } from '../errors.js';
export class TokenizerError extends UserError {
  override name = 'TokenizerError';
}

/** A tokenizer file is missing, unreadable or not valid JSON. The message names the file. */
export class TokenizerFileError extends TokenizerError {
  override name = 'TokenizerFileError';
  readonly file: string;
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.file = file;
  }
}

/**
 * tokenizer.json uses a component (model, normalizer, pre-tokenizer, post-processor, decoder)
 * or an option that irlens cannot run. The message names the file, the component and its type.
 */
export class UnsupportedTokenizerError extends TokenizerError {
  override name = 'UnsupportedTokenizerError';
  readonly file: string;
  readonly component: string;
  constructor(file: string, component: string, detail: string) {
    super(`${file}: unsupported ${component}: ${detail}`);
    this.file = file;
    this.component = component;
  }
}

/** An encode/decode call asked for something impossible (padding without a pad token, bad maxLength, ...). */
export class TokenizerOptionsError extends TokenizerError {
  override name = 'TokenizerOptionsError';
}
