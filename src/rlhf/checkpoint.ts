/**
 * PPO's round checkpoints, on the training loops' checkpoint format (train/checkpoint.ts): the
 * trainable weights (policy and value head), AdamW's moments, and the trainer's own state — the
 * round and step, the schedule, the KL controller, the reward scaling — with the settings it was
 * made with, so that a run resumed with other settings is refused rather than silently mixed.
 */
import { TrainCheckpointError, loadLatestTrainingCheckpoint, restoreWeights, saveTrainingCheckpoint, type NamedOptimizerState } from '../train/index.js';
import type { Module } from '../nn/index.js';
import type { KlControllerState } from './kl-controller.js';
import type { RunningMomentsState } from './running-moments.js';

export interface PpoTrainerState {
  /** Rounds completed. */
  round: number;
  /** Optimizer steps taken. */
  step: number;
  /** The first round's score std (trlx's ref_std), once known. */
  refStd: number | null;
  scheduler: { step: number; baseLr: number };
  kl: KlControllerState;
  moments: RunningMomentsState;
  /** The last round's figures, which a run resumed from its final checkpoint reports without running a round. */
  last?: Record<string, number>;
  settings: Record<string, unknown>;
}

/** Saves a checkpoint at the trainer's step; returns its folder. */
export function savePpoCheckpoint(dir: string, snapshot: { model: Module; optimizer: NamedOptimizerState; trainer: PpoTrainerState }): string {
  return saveTrainingCheckpoint(dir, snapshot.trainer.step, { ...snapshot, trainer: { kind: 'ppo', ...snapshot.trainer } });
}

/**
 * The newest checkpoint in dir with its weights copied into `model`, or null when there is none.
 * Throws TrainCheckpointError when it was made by another kind of run or with other settings.
 */
export function loadPpoCheckpoint(dir: string, model: Module, settings: Record<string, unknown>): { dir: string; optimizer: NamedOptimizerState; trainer: PpoTrainerState } | null {
  const saved = loadLatestTrainingCheckpoint(dir);
  if (!saved) return null;
  const trainer = saved.trainer as Partial<PpoTrainerState> & { kind?: unknown };
  if (trainer.kind !== 'ppo') throw new TrainCheckpointError(saved.dir, `it was made by a '${String(trainer.kind)}' run, not PPO`);
  const differ = Object.keys({ ...settings, ...trainer.settings }).filter((key) => JSON.stringify(settings[key]) !== JSON.stringify(trainer.settings?.[key]));
  if (differ.length > 0) {
    throw new TrainCheckpointError(saved.dir, `it was made with other PPO settings (${differ.join(', ')} differ)`, 'delete the checkpoint folder to start over, or resume with the settings it was made with');
  }
  restoreWeights(model, saved.weights, saved.dir);
  return { dir: saved.dir, optimizer: saved.optimizer, trainer: trainer as PpoTrainerState };
}
