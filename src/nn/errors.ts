import { formatShape } from '../tensor/errors.js';
import { UserError } from '../errors.js';

/** Misuse of the nn layer that a caller can fix: a bad seed, probability or hyperparameter. */
export class NnError extends Error {
  override name = 'NnError';
}

export interface ShapeMismatch {
  key: string;
  expected: readonly number[];
  got: readonly number[];
}

/** Lists at most `limit` names, then says how many more there were (checkpoints can be large). */
function listNames(names: readonly string[], limit = 10): string {
  const shown = names.slice(0, limit).map((n) => `'${n}'`).join(', ');
  return names.length > limit ? `${shown} and ${names.length - limit} more` : shown;
}

/** A state dict that does not fit the module it was loaded into. Nothing was copied. */
export class StateDictError extends UserError {
  override name = 'StateDictError';
  constructor(
    readonly missingKeys: readonly string[],
    readonly unexpectedKeys: readonly string[],
    readonly shapeMismatches: readonly ShapeMismatch[],
  ) {
    const problems: string[] = [];
    if (missingKeys.length > 0) problems.push(`${missingKeys.length} missing key(s): ${listNames(missingKeys)}`);
    if (unexpectedKeys.length > 0) problems.push(`${unexpectedKeys.length} unexpected key(s): ${listNames(unexpectedKeys)}`);
    for (const m of shapeMismatches.slice(0, 10)) {
      problems.push(`shape mismatch for '${m.key}': the model has ${formatShape(m.expected)}, the state dict has ${formatShape(m.got)}`);
    }
    if (shapeMismatches.length > 10) problems.push(`and ${shapeMismatches.length - 10} more shape mismatches`);
    super(
      `loadStateDict: ${problems.join('; ')}. Nothing was loaded. Check that the checkpoint was saved from a model ` +
        'with the same architecture and config (or pass { strict: false } to skip missing and unexpected keys).',
    );
  }
}

/** The gradients hold NaN or ±Inf, so no sensible update can be made from them. */
export class NonFiniteGradientError extends UserError {
  override name = 'NonFiniteGradientError';
  constructor(
    readonly totalNorm: number,
    readonly parameter: string | undefined,
  ) {
    super(
      `the gradients contain NaN or Inf (global norm ${totalNorm}${parameter ? `, first in '${parameter}'` : ''}); ` +
        'training has probably diverged. Lower the learning rate (or clip gradients harder), and check the loss and inputs for NaN.',
    );
  }

  /** The first non-finite gradient, as '<parameter>.grad' ('gradients' when the sum alone overflowed). */
  get gradient(): string {
    return this.parameter === undefined ? 'gradients' : `${this.parameter}.grad`;
  }
}
