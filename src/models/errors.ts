/** Inputs a caller gave a model that it cannot run on: the message says what was wrong and how to fix it. */
import { UserError } from '../errors.js';
export class ModelInputError extends UserError {
  override name = 'ModelInputError';
  constructor(model: string, detail: string) {
    super(`${model}: ${detail}`);
  }
}

/** A model folder holds the other kind of model than the caller needs (a classifier where a causal LM is needed, or the reverse). */
export class ModelKindError extends UserError {
  override name = 'ModelKindError';
  constructor(
    readonly folder: string,
    readonly architecture: string,
    readonly needed: 'causal-lm' | 'sequence-classifier',
    hint: string,
  ) {
    super(`${folder} is a ${architecture}, not ${needed === 'causal-lm' ? 'a causal LM' : 'a sequence classifier'}; ${hint}`);
  }
}
