/**
 * Training checkpoints, shared by every training loop: enough to continue a run exactly where it
 * stopped. A checkpoint folder holds one sub-folder per saved step:
 *
 *   <checkpointDir>/step-00000040/
 *     model.safetensors       every parameter of the model, by its dotted name
 *     optimizer.safetensors   AdamW's moments: exp_avg.<name> and exp_avg_sq.<name>
 *     trainer.json            step counts and lr, scheduler, Rng states, data position, settings
 *
 * A step folder is written with io/atomic.ts's writeFolderAtomic, so a reader (or a resumed run)
 * sees whole checkpoints or none; what a killed write leaves is cleared up by the next save or
 * load. Older step folders are deleted only after a newer one is in place.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { recoverInterruptedWrites, writeFileAtomic, writeFolderAtomic } from '../io/atomic.js';
import { readSafetensors, writeSafetensors, type TensorMap, type TensorRecord } from '../io/index.js';
import type { AdamParamState, Module } from '../nn/index.js';
import { backendOf, writeHost } from '../tensor/index.js';
import { TrainCheckpointError } from './errors.js';
import type { NamedOptimizerState } from './optimizer.js';

const FORMAT = 'irlens-training-checkpoint';
const VERSION = 1;
const STEP_FOLDER = /^step-(\d+)$/;

export interface SavedCheckpoint {
  step: number;
  /** The step folder. */
  dir: string;
  weights: TensorMap;
  optimizer: NamedOptimizerState;
  /** The loop's own state (Rng states, data position, settings ...), as it saved it. */
  trainer: Record<string, unknown>;
}

const stepFolderName = (step: number): string => `step-${String(step).padStart(8, '0')}`;

/** The complete step folders, oldest first. */
function stepFolders(checkpointDir: string): { step: number; name: string }[] {
  if (!existsSync(checkpointDir)) return [];
  if (!statSync(checkpointDir).isDirectory()) {
    throw new TrainCheckpointError(checkpointDir, 'is a file, not a folder', 'pass a folder for checkpoints (it is created if missing)');
  }
  return readdirSync(checkpointDir)
    .map((name) => ({ name, match: STEP_FOLDER.exec(name) }))
    .filter((e) => e.match !== null)
    .map((e) => ({ name: e.name, step: Number(e.match![1]) }))
    .sort((a, b) => a.step - b.step);
}

function optimizerTensors(state: NamedOptimizerState): { tensors: [string, TensorRecord][]; steps: Record<string, number | null> } {
  const tensors: [string, TensorRecord][] = [];
  const steps: Record<string, number | null> = {};
  for (const [name, s] of state.params) {
    steps[name] = s?.step ?? null;
    if (!s) continue;
    tensors.push([`exp_avg.${name}`, { dtype: 'float32', shape: [s.expAvg.length], data: s.expAvg }]);
    tensors.push([`exp_avg_sq.${name}`, { dtype: 'float32', shape: [s.expAvgSq.length], data: s.expAvgSq }]);
  }
  return { tensors, steps };
}

/**
 * The first of the model's parameters that holds NaN or ±Inf, with its sum of squares (NaN or
 * Infinity), or null. Loops call it before they save a checkpoint or finish, so that no saved
 * model holds such values: one reduction over all parameters, read on the host at that step
 * boundary (and one per parameter only to name the culprit).
 */
export function firstNonFiniteParameter(model: Module): { name: string; value: number } | null {
  const named = model.namedParameters();
  const [first, ...rest] = named.map(([, p]) => p);
  if (!first) return null;
  const backend = backendOf('firstNonFiniteParameter', first, ...rest);
  if (Number.isFinite(backend.sumSquares(named.map(([, p]) => p.buffer)))) return null;
  for (const [name, p] of named) {
    const sumOfSquares = backend.sumSquares([p.buffer]);
    if (!Number.isFinite(sumOfSquares)) return { name, value: sumOfSquares };
  }
  return null;
}

/**
 * Saves a checkpoint at `step` and deletes older ones. The weights are every parameter of the
 * model (tied weights once, under their first name).
 */
export function saveTrainingCheckpoint(
  checkpointDir: string,
  step: number,
  snapshot: { model: Module; optimizer: NamedOptimizerState; trainer: Record<string, unknown> },
): string {
  mkdirSync(checkpointDir, { recursive: true });
  recoverInterruptedWrites(checkpointDir);
  // A run resumed at a step and stopped again before its next update has nothing new to save.
  const existing = join(checkpointDir, stepFolderName(step));
  if (existsSync(existing)) return existing;
  const { tensors, steps } = optimizerTensors(snapshot.optimizer);
  const folder = join(checkpointDir, stepFolderName(step));
  writeFolderAtomic(folder, (dir) => {
    const weights = snapshot.model.namedParameters().map(([name, p]): [string, TensorRecord] => [name, { dtype: 'float32', shape: [...p.shape], data: p.data }]);
    writeSafetensors(join(dir, 'model.safetensors'), weights);
    writeSafetensors(join(dir, 'optimizer.safetensors'), tensors);
    const manifest = { format: FORMAT, version: VERSION, step, optimizer: { lr: snapshot.optimizer.lr, steps }, trainer: snapshot.trainer };
    writeFileAtomic(join(dir, 'trainer.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  });
  for (const old of stepFolders(checkpointDir)) {
    if (old.step < step) rmSync(join(checkpointDir, old.name), { recursive: true, force: true });
  }
  return folder;
}

/** The newest complete checkpoint in checkpointDir, or null when there is none. */
export function loadLatestTrainingCheckpoint(checkpointDir: string): SavedCheckpoint | null {
  recoverInterruptedWrites(checkpointDir);
  const latest = stepFolders(checkpointDir).at(-1);
  if (!latest) return null;
  const dir = join(checkpointDir, latest.name);
  let manifest: { format?: unknown; version?: unknown; step?: unknown; optimizer?: { lr?: unknown; steps?: unknown }; trainer?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
  } catch (error) {
    throw new TrainCheckpointError(dir, `cannot read trainer.json (${(error as Error).message})`, 'delete this step folder to resume from nothing');
  }
  if (manifest.format !== FORMAT || manifest.version !== VERSION || manifest.step !== latest.step) {
    throw new TrainCheckpointError(dir, `trainer.json is not a version-${VERSION} irlens training checkpoint of step ${latest.step}`, 'delete the checkpoint folder to start over');
  }
  const steps = manifest.optimizer?.steps as Record<string, number | null> | undefined;
  const lr = manifest.optimizer?.lr;
  if (typeof lr !== 'number' || typeof steps !== 'object' || steps === null || typeof manifest.trainer !== 'object' || manifest.trainer === null) {
    throw new TrainCheckpointError(dir, 'trainer.json lacks the optimizer or trainer state', 'delete the checkpoint folder to start over');
  }
  const weights = readSafetensors(join(dir, 'model.safetensors'));
  const moments = readSafetensors(join(dir, 'optimizer.safetensors'));
  const params = new Map<string, AdamParamState | null>();
  for (const [name, step] of Object.entries(steps)) {
    if (step === null) {
      params.set(name, null);
      continue;
    }
    const expAvg = moments.get(`exp_avg.${name}`)?.data;
    const expAvgSq = moments.get(`exp_avg_sq.${name}`)?.data;
    if (!(expAvg instanceof Float32Array) || !(expAvgSq instanceof Float32Array)) {
      throw new TrainCheckpointError(dir, `optimizer.safetensors lacks the moments of '${name}'`, 'delete this step folder; it is damaged');
    }
    params.set(name, { step, expAvg, expAvgSq });
  }
  return { step: latest.step, dir, weights, optimizer: { lr, params }, trainer: manifest.trainer as Record<string, unknown> };
}

/** Copies saved weights into the model, after checking every parameter is there with its shape. */
export function restoreWeights(model: Module, weights: TensorMap, dir: string): void {
  const named = model.namedParameters();
  for (const [name, p] of named) {
    const record = weights.get(name);
    if (!record) throw new TrainCheckpointError(dir, `has no weights for '${name}'; it was saved from a different model`);
    if (record.shape.join() !== p.shape.join()) {
      throw new TrainCheckpointError(dir, `'${name}' has shape [${record.shape.join(', ')}] but the model's is [${p.shape.join(', ')}]; it was saved from a different model`);
    }
    if (!(record.data instanceof Float32Array)) throw new TrainCheckpointError(dir, `'${name}' holds ${record.dtype} values, not float32; it was not saved by irlens`);
  }
  if (weights.size !== named.length) {
    throw new TrainCheckpointError(dir, `holds ${weights.size} weights but the model has ${named.length} parameters; it was saved from a different model`);
  }
  for (const [name, p] of named) writeHost(p, weights.get(name)!.data as Float32Array);
}
