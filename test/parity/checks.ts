/**
 * The parity checks, keyed by the golden they compare with. Each golden in golden.safetensors
 * is either an input (INPUT_KEYS) or has a check here; a golden with neither makes the suite fail,
 * so that a fixture gaining a new kind of golden is noticed.
 *
 * Tolerances: logits and hidden states |a−b| ≤ 1e-4·max(1,|b|); loss 1e-5 relative; each
 * gradient max|a−b| ≤ 1e-4 · max|golden| (with max|golden| taken as at least 1e-4 of the largest
 * gradient entry in the model, so that gradients that are zero up to rounding compare as such);
 * greedy generations token for token.
 */
import { formatError, position, relativeToLargest, scaledDifference } from './compare.js';
import { goldenTensor, type CheckResult, type FixtureRun } from './fixture-run.js';
import { checkGreedy } from './greedy.js';

export type Check = (run: FixtureRun, key: string) => CheckResult;

export const OUTPUT_TOLERANCE = 1e-4;
export const LOSS_TOLERANCE = 1e-5;
export const GRADIENT_TOLERANCE = 1e-4;
/** A gradient tensor's scale is at least this fraction of the largest gradient entry in the model. */
export const GRADIENT_SCALE_FLOOR = 1e-4;

function outputCheck(read: (run: FixtureRun) => { data: Float32Array; shape: readonly number[] } | null): Check {
  return (run, key) => {
    const golden = goldenTensor(run.goldens, key);
    const actual = read(run);
    if (!actual) throw new Error(`${run.architecture.name}'s forward returns no '${key}' (expected a 'hidden' output)`);
    if (actual.shape.join() !== golden.shape.join()) {
      throw new Error(`${key} has shape [${actual.shape.join(', ')}] but the golden has [${golden.shape.join(', ')}]`);
    }
    const diff = scaledDifference(actual.data, golden.data, key);
    return {
      measure: 'max |a−b|/max(1,|b|)',
      error: diff.error,
      tolerance: OUTPUT_TOLERANCE,
      detail: diff.at < 0 ? undefined : `at ${position(diff.at, golden.shape)}: ${diff.actual} vs ${diff.expected}`,
    };
  };
}

const lossCheck: Check = (run, key) => {
  const expected = goldenTensor(run.goldens, key).data[0]!;
  const actual = run.loss.item();
  const error = Math.abs(actual - expected) / Math.abs(expected);
  return { measure: '|a−b|/|b|', error: Number.isNaN(error) ? Infinity : error, tolerance: LOSS_TOLERANCE, detail: `${actual} vs ${expected}` };
};

const gradientCheck: Check = (run, key) => {
  const name = key.slice('grad.'.length);
  const golden = goldenTensor(run.goldens, key);
  const mapped = run.gradParameters.get(name);
  if (!mapped) {
    throw new Error(`the golden has a gradient for '${name}', which is no parameter of ${run.architecture.name} (after its renameWeights)`);
  }
  const grad = mapped.parameter.grad;
  if (!grad) throw new Error(`'${mapped.modelName}' received no gradient from the loss`);
  if (grad.shape.join() !== golden.shape.join()) {
    throw new Error(`the gradient of '${mapped.modelName}' has shape [${grad.shape.join(', ')}] but the golden has [${golden.shape.join(', ')}]`);
  }
  const diff = relativeToLargest(grad.data, golden.data, key, GRADIENT_SCALE_FLOOR * run.largestGradient);
  return {
    measure: 'max |a−b| / max(max|golden|, 1e-4·model max)',
    error: diff.error,
    tolerance: GRADIENT_TOLERANCE,
    detail: `largest |golden| ${formatError(diff.largest)}${diff.at < 0 ? '' : `, worst at ${position(diff.at, golden.shape)}`}`,
  };
};

const CHECKS: Record<string, Check> = {
  logits: outputCheck((run) => run.logits),
  last_hidden_state: outputCheck((run) => run.hidden),
  loss: lossCheck,
  greedy_ids: (run) => checkGreedy(run),
};

/** The check for a golden key, or undefined when the suite has none. */
export function checkFor(key: string): Check | undefined {
  if (key.startsWith('grad.')) return gradientCheck;
  return Object.hasOwn(CHECKS, key) ? CHECKS[key] : undefined;
}
