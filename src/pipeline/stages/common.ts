/**
 * What the stages share: where a stage's model is (model.json, a pointer to a Hugging Face folder
 * inside the stage folder or elsewhere, e.g. the hub cache), the files of npm packages the demo
 * world is built from (declared as inputs, so a new package version reruns the world), reading
 * JSONL and reporting training progress. Confidence intervals live in eval/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
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
