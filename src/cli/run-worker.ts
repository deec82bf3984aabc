/**
 * The worker thread of `irlens run`: runs the pipeline's stages, sends the run log lines and the
 * outcome to the main thread, and stops at the next safe point once the main thread's stop flag
 * is set (see signals.ts). Errors are judged here, where their classes are known.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RunConfig } from '../pipeline/config.js';
import { describeError } from './errors.js';
import { sharedAbortSignal, stopRequested } from './signals.js';

export interface RunWorkerData {
  config: RunConfig;
  runDir: string;
  targets?: string[];
  force?: string[];
  codeVersion: string;
  stopFlag: Int32Array;
}

export interface RunWorkerStage {
  name: string;
  status: 'ran' | 'up-to-date';
  durationMs: number;
  finishedAt: string;
  summary: Record<string, unknown>;
}

export type RunWorkerMessage =
  | { type: 'log'; level: string; stage?: string; message: string; time: string }
  | { type: 'done'; runDir: string; stages: RunWorkerStage[]; planned: { name: string; description: string }[] }
  | { type: 'failed'; code: number; text: string };

const data = workerData as RunWorkerData;
const post = (message: RunWorkerMessage) => parentPort!.postMessage(message);

try {
  const { PIPELINE_STAGES, PLANNED_STAGES } = await import('../pipeline/stages/index.js');
  const { runPipeline } = await import('../pipeline/run.js');
  const result = await runPipeline(PIPELINE_STAGES, data.config, data.runDir, {
    signal: sharedAbortSignal(data.stopFlag),
    codeVersion: data.codeVersion,
    ...(data.targets && data.targets.length > 0 ? { targets: data.targets } : {}),
    ...(data.force && data.force.length > 0 ? { force: data.force } : {}),
    onLog: (line) => post({ type: 'log', level: line.level, stage: line.stage, message: line.message, time: line.time.toISOString() }),
  });
  post({
    type: 'done',
    runDir: result.runDir,
    stages: result.stages.map((stage) => ({
      name: stage.name,
      status: stage.status,
      durationMs: stage.marker.durationMs,
      finishedAt: stage.marker.finishedAt,
      summary: stage.marker.summary,
    })),
    planned: [...PLANNED_STAGES],
  });
} catch (error) {
  post({ type: 'failed', ...describeError(error, stopRequested(data.stopFlag)) });
}
