/** Inputs a caller gave a model that it cannot run on: the message says what was wrong and how to fix it. */
import { UserError } from '../errors.js';
export class ModelInputError extends UserError {
  override name = 'ModelInputError';
  constructor(model: string, detail: string) {
    super(`${model}: ${detail}`);
  }
}
