/**
 * What the stages share: where a stage's model is (model.json, a pointer to a Hugging Face folder
 * inside the stage folder or elsewhere, e.g. the hub cache), the files of npm packages the demo
 * world is built from (declared as inputs, so a new package version reruns the world), and the
 * confidence intervals the toxicity summaries report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import type { Rng } from '../../nn/rng.js';
import { PipelineError } from '../errors.js';

export const MODEL_POINTER = 'model.json';

export interface ModelPointer {
  /** The Hugging Face folder: relative to the stage folder, or absolute (a local folder, the hub cache). */
  path: string;
  /** Where it came from: 'trained' (by this stage), a hub id, or a local folder. */
  source: string;
  /** The architecture, as config.json names it. */
  architecture?: string;
}

export function writeModelPointer(stageDir: string, pointer: ModelPointer): void {
  writeFileAtomic(join(stageDir, MODEL_POINTER), JSON.stringify(pointer, null, 2) + '\n');
}

/** The model folder a completed stage points to. */
export function modelFolderOf(stageDir: string): string {
  let pointer: ModelPointer;
  try {
    pointer = JSON.parse(readFileSync(join(stageDir, MODEL_POINTER), 'utf8')) as ModelPointer;
  } catch (error) {
    throw new PipelineError(`${join(stageDir, MODEL_POINTER)} cannot be read (${(error as Error).message}); run the stage that makes it again (--force)`);
  }
  return isAbsolute(pointer.path) ? pointer.path : resolve(stageDir, pointer.path);
}

/** The package.json of an installed npm package (its version decides the package's data). */
export function packageFile(name: string): string {
  // Found from the package's entry point, since a package's "exports" may hide its package.json.
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === name) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new PipelineError(`cannot find the package.json of the npm package ${name}; reinstall the project's dependencies (npm install)`);
    dir = parent;
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(packageFile(name), 'utf8')) as { version: string }).version;
}

export const packageDir = (name: string): string => dirname(packageFile(name));

export interface Interval {
  low: number;
  high: number;
  confidence: number;
  method: string;
}

/** The standard normal quantile for a two-sided interval (Acklam's rational approximation). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Wilson's score interval for a proportion of `successes` in `n` trials. */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  if (n === 0) return { low: 0, high: 1, confidence, method: 'wilson' };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half), confidence, method: 'wilson' };
}

/** A percentile bootstrap interval for the mean of `values`. */
export function bootstrapMeanInterval(values: readonly number[], rng: Rng, samples = 1000, confidence = 0.95): Interval {
  if (values.length === 0) return { low: NaN, high: NaN, confidence, method: `bootstrap(${samples})` };
  const means = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[rng.int(values.length)]!;
    means[s] = sum / values.length;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number) => means[Math.min(samples - 1, Math.max(0, Math.floor(q * samples)))]!;
  return { low: at(tail), high: at(1 - tail), confidence, method: `bootstrap(${samples})` };
}

export const mean = (values: readonly number[]): number => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);

/** Reads a JSONL file into objects. */
export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Reports training progress to the stage's metrics and, now and then, its log. */
export function trainingReporter(ctx: { log: { info(m: string): void }; metrics: { write(values: Record<string, number>, step?: number): void } }, what: string, logEvery: number) {
  return (m: { step: number; loss: number; lr: number; gradNorm: number; tokensPerSecond: number; evalLoss?: number; evalAccuracy?: number }) => {
    const values: Record<string, number> = { loss: m.loss, lr: m.lr, grad_norm: m.gradNorm, tokens_per_second: m.tokensPerSecond };
    if (m.evalLoss !== undefined) values.eval_loss = m.evalLoss;
    if (m.evalAccuracy !== undefined) values.eval_accuracy = m.evalAccuracy;
    ctx.metrics.write(values, m.step);
    if (m.step % logEvery === 0 || m.evalLoss !== undefined) {
      const extra = m.evalLoss !== undefined ? `, held-out loss ${m.evalLoss.toFixed(3)}${m.evalAccuracy !== undefined ? `, accuracy ${m.evalAccuracy.toFixed(3)}` : ''}` : '';
      ctx.log.info(`${what} step ${m.step}: loss ${m.loss.toFixed(3)}${extra} (${Math.round(m.tokensPerSecond)} tokens/s)`);
    }
  };
}
