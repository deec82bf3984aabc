/**
 * Errors the io layer raises for files a user can fix. Each message names the file, says what is
 * wrong with it and what to do about it.
 */
export class CheckpointError extends Error {
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

/** A config.json that is unreadable, malformed or asks for something irlens does not implement. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}
