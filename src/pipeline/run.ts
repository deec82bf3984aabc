/**
 * runPipeline: runs stages in dependency order inside a run folder, skipping those whose
 * fingerprint is unchanged, so a finished run is not redone and a killed one resumes.
 *
 *   runs/<name>/
 *     config.yaml      the resolved config
 *     <stage>/         a completed stage's outputs, with stage.json (its marker) written last
 *     .<stage>.tmp-<pid>-<id>/   a stage in progress (io/atomic.ts's stageFolder), cleared up by a later run
 *     .checkpoints/<stage>/   mid-stage checkpoints that survive a kill
 *     metrics.jsonl    {stage, step?, time, ...values} per line
 *     run.log          timestamped lines
 *     .lock            the pid of the irlens using the folder
 *
 * A stage's fingerprint hashes its config section, the run's seed, the code versions, the
 * fingerprint and output digest of each stage it depends on, and the hashes of its declared
 * inputs. A stage whose marker has the same fingerprint (and whose outputs are all still there) is
 * up to date; any other runs again, and a changed fingerprint or output digest reruns everything
 * downstream of it. A stage that starts afresh (not resuming from its checkpoints) first has its
 * earlier records removed from metrics.jsonl, so the file describes the outputs that exist.
 *
 * Its jobs, one module each: plan.ts (which stages run), run-folder.ts (the lock, log and metrics),
 * fingerprint.ts, marker.ts and checkpoints.ts (up to date or resumable?), run-stage.ts (one stage
 * into its temporary folder, then committed).
 */
import { join, resolve } from 'node:path';
import { Rng } from '../nn/rng.js';
import { writeResolvedConfig, type RunConfig } from './config.js';
import type { LogLine } from './log.js';
import type { StageMarker } from './marker.js';
import { planRun } from './plan.js';
import { removeStaleEntries, withRunFolder } from './run-folder.js';
import { bringStageUpToDate, type StageResult } from './run-stage.js';
import type { Stage } from './stage.js';

export interface RunPipelineOptions {
  /** The code version (package version, git describe ...); a change reruns every stage. */
  codeVersion?: string;
  /** Stop the run: the running stage sees ctx.signal aborted; nothing is marked complete. */
  signal?: AbortSignal;
  /** Called with every line written to run.log (the command line prints them). */
  onLog?: (line: LogLine) => void;
  /** Run only these stages and what they depend on (default: all). */
  targets?: readonly string[];
  /** Run these stages again even if up to date (and so everything downstream whose inputs change). */
  force?: readonly string[];
}

export interface PipelineResult {
  runDir: string;
  stages: StageResult[];
}

/**
 * Runs the stages in `runDir` (created if needed) with the resolved `config`. Returns what ran and
 * what was up to date; throws StageFailedError when a stage throws (after logging it), and
 * RunLockedError when another irlens uses the folder.
 */
export async function runPipeline(stages: readonly Stage[], config: RunConfig, runDir: string, options: RunPipelineOptions = {}): Promise<PipelineResult> {
  // Planned (and every section validated) before anything is touched.
  const plan = planRun(stages, config, options.targets, options.force);
  const codeVersion = options.codeVersion ?? '';
  const signal = options.signal ?? new AbortController().signal;
  runDir = resolve(runDir);
  return withRunFolder(runDir, options.onLog, async ({ log, metrics }) => {
    log.info(`run started (pid ${process.pid}${codeVersion ? `, irlens ${codeVersion}` : ''}): ${[...plan.selected].join(', ')}`);
    removeStaleEntries(runDir, log);
    writeResolvedConfig(join(runDir, 'config.yaml'), config);
    const markers = new Map<string, StageMarker>();
    const run = { runDir, config, plan, codeVersion, signal, log, metrics, rootRng: new Rng(config.seed), markers };
    const results: StageResult[] = [];
    for (const stage of plan.ordered) {
      if (!plan.selected.has(stage.name)) continue;
      if (signal.aborted) {
        log.warn(`run stopped before stage ${stage.name}`);
        signal.throwIfAborted();
      }
      const result = await bringStageUpToDate(stage, run);
      markers.set(stage.name, result.marker);
      results.push(result);
    }
    const ran = results.filter((r) => r.status === 'ran').length;
    log.info(`run finished: ${ran} stage${ran === 1 ? '' : 's'} ran, ${results.length - ran} up to date`);
    return { runDir, stages: results };
  });
}
