/** Inputs a caller gave a model that it cannot run on: the message says what was wrong and how to fix it. */
export class ModelInputError extends Error {
  override name = 'ModelInputError';
  constructor(model: string, detail: string) {
    super(`${model}: ${detail}`);
  }
}
