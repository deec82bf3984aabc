/**
 * Bringing one stage up to date: skip it if its marker matches its fingerprint and its outputs are
 * there; otherwise run it into a temporary folder (resuming from its checkpoints when they were
 * made under the same fingerprint) and commit that folder, marker last, in place of the old one.
 */
import { join, resolve } from 'node:path';
import { stageFolder, writeFileAtomic, type StagedFolder } from '../io/atomic.js';
import type { Rng } from '../nn/rng.js';
import { CHECKPOINTS_DIR, openCheckpoints, removeCheckpoints } from './checkpoints.js';
import type { RunConfig } from './config.js';
import { PipelineError, StageFailedError } from './errors.js';
import { rerunReason, stageFingerprint } from './fingerprint.js';
import type { RunLog } from './log.js';
import { MARKER_FILE, MARKER_FORMAT, listOutputs, missingOutput, outputDigest, readStageMarker, type FingerprintParts, type StageMarker } from './marker.js';
import type { MetricsWriter } from './metrics.js';
import type { RunPlan } from './plan.js';
import type { Stage, StageContext, StageInputContext, StageSummary } from './stage.js';

export interface StageResult {
  name: string;
  status: 'ran' | 'up-to-date';
  marker: StageMarker;
}

/** What a run shares with each stage it brings up to date. */
export interface RunState {
  runDir: string;
  config: RunConfig;
  plan: RunPlan;
  codeVersion: string;
  signal: AbortSignal;
  log: RunLog;
  metrics: MetricsWriter;
  /** Forked by each stage's name, so a stage's randomness does not depend on which others ran. */
  rootRng: Rng;
  /** The markers of the stages done so far in this run. */
  markers: ReadonlyMap<string, StageMarker>;
}

/** Runs `stage` unless it is up to date; throws StageFailedError when it throws (after logging it). */
export async function bringStageUpToDate(stage: Stage, run: RunState): Promise<StageResult> {
  const finalDir = join(run.runDir, stage.name);
  const inputContext: StageInputContext = {
    runDir: run.runDir,
    config: run.plan.sections.get(stage.name),
    runConfig: run.config,
    stageDir: (name) => {
      if (!run.plan.ancestors.has(name)) throw new PipelineError(`there is no stage '${name}'`);
      return join(run.runDir, name);
    },
  };
  const { inputs, fingerprint, parts } = fingerprintBeforeStart(stage, inputContext, run);

  const old = readStageMarker(finalDir);
  const missing = old === undefined ? undefined : missingOutput(finalDir, old.outputs);
  const forced = run.plan.forced.has(stage.name);
  const checkpointDir = join(run.runDir, CHECKPOINTS_DIR, stage.name);
  if (old !== undefined && old.fingerprint === fingerprint && missing === undefined && !forced) {
    run.log.info(`stage ${stage.name}: up to date, not run again`);
    removeCheckpoints(checkpointDir); // left if killed just after completing
    return { name: stage.name, status: 'up-to-date', marker: old };
  }

  const resumed = openCheckpoints(checkpointDir, fingerprint, forced);
  run.log.info(`stage ${stage.name}: running (${rerunReason(old, parts, fingerprint, missing, resumed)})`);
  if (!resumed) run.metrics.rewriteWithout((record) => record.stage === stage.name);
  const staged = stageFolder(finalDir);
  const context: StageContext = {
    ...inputContext,
    name: stage.name,
    dir: staged.dir,
    checkpointDir,
    resumed,
    inputs,
    log: run.log.forStage(stage.name),
    metrics: run.metrics.forStage(stage.name),
    rng: run.rootRng.fork(stage.name),
    signal: run.signal,
  };
  const marker = await runIntoFolder(stage, context, staged, { fingerprint, parts }, run);
  // The finished folder replaces the previous one only now; a kill before this point leaves
  // the previous completion (or none) in place and this attempt to be redone.
  staged.commit();
  removeCheckpoints(checkpointDir);
  const summaryText = Object.keys(marker.summary).length > 0 ? `: ${JSON.stringify(marker.summary)}` : '';
  run.log.info(`stage ${stage.name}: done in ${formatDuration(marker.durationMs)}${summaryText}`);
  return { name: stage.name, status: 'ran', marker };
}

/** The stage's declared inputs and fingerprint; a stage that cannot even say them is logged as unable to start. */
function fingerprintBeforeStart(stage: Stage, inputContext: StageInputContext, run: RunState) {
  try {
    const inputs = (stage.inputs?.(inputContext) ?? []).map((input) => resolve(input));
    const { runDir, codeVersion, markers } = run;
    return { inputs, ...stageFingerprint(stage, inputContext.config, inputs, { runDir, codeVersion, markers, seed: run.config.seed, ancestors: run.plan.ancestors }) };
  } catch (error) {
    run.log.error(`stage ${stage.name}: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
}

/** Runs the stage into its staged folder and writes its marker there; on failure the folder is abandoned. */
async function runIntoFolder(stage: Stage, context: StageContext, staged: StagedFolder, identity: { fingerprint: string; parts: FingerprintParts }, run: RunState): Promise<StageMarker> {
  const startedAt = new Date();
  try {
    const summary = (await stage.run(context)) ?? {};
    const finishedAt = new Date();
    const outputs = listOutputs(staged.dir, MARKER_FILE);
    const marker: StageMarker = {
      format: MARKER_FORMAT,
      stage: stage.name,
      ...identity,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      summary: JSON.parse(JSON.stringify(summary)) as StageSummary,
      outputs,
      outputDigest: outputDigest(outputs),
    };
    writeFileAtomic(join(staged.dir, MARKER_FILE), JSON.stringify(marker, null, 2) + '\n');
    return marker;
  } catch (error) {
    const cause = staged.abandon(error);
    const seconds = formatDuration(Date.now() - startedAt.getTime());
    const message = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
    try {
      run.log.error(`stage ${stage.name}: ${run.signal.aborted ? 'stopped' : 'failed'} after ${seconds}: ${message}`);
    } catch {
      // On a full disk run.log cannot grow either; the error thrown below is the one to report.
    }
    throw new StageFailedError(stage.name, cause);
  }
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
