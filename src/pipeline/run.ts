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
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { recoverInterruptedWrites, stageFolder, writeFileAtomic } from '../io/atomic.js';
import { Rng } from '../nn/rng.js';
import { writeResolvedConfig, type RunConfig } from './config.js';
import { ConfigValidationError, PipelineError, StageFailedError, type ConfigIssue } from './errors.js';
import { hashFile, hashJson, hashPath, listFiles } from './hash.js';
import { acquireRunLock } from './lock.js';
import { RunLog, type LogLine } from './log.js';
import { MetricsWriter } from './metrics.js';
import { validateAgainst } from './schema.js';
import { stageOrder, withDependencies, type Stage, type StageContext, type StageInputContext, type StageSummary } from './stage.js';

export const MARKER_FILE = 'stage.json';
export const CHECKPOINTS_DIR = '.checkpoints';
const MARKER_FORMAT = 1;
const CHECKPOINT_FINGERPRINT = '.fingerprint';

export interface StageOutput {
  /** '/'-separated path inside the stage folder. */
  path: string;
  size: number;
  sha256: string;
}

/** The parts a fingerprint is made of, kept so a rerun can say what changed. */
export interface FingerprintParts {
  config: string;
  seed: number;
  codeVersion: string;
  stageVersion: string;
  /** Dependency name → hash of its fingerprint and output digest. */
  upstream: Record<string, string>;
  /** Input (a path relative to the run folder, or absolute) → content hash. */
  inputs: Record<string, string>;
}

/** `<run>/<stage>/stage.json`: written last, atomically; its presence means the stage completed. */
export interface StageMarker {
  format: typeof MARKER_FORMAT;
  stage: string;
  fingerprint: string;
  parts: FingerprintParts;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  summary: StageSummary;
  outputs: StageOutput[];
  /** A hash of all outputs' paths and hashes. */
  outputDigest: string;
}

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

export interface StageResult {
  name: string;
  status: 'ran' | 'up-to-date';
  marker: StageMarker;
}

export interface PipelineResult {
  runDir: string;
  stages: StageResult[];
}

/** Reads a stage's completion marker; undefined when there is none or it is unreadable. */
export function readStageMarker(stageDir: string): StageMarker | undefined {
  try {
    const marker = JSON.parse(readFileSync(join(stageDir, MARKER_FILE), 'utf8')) as StageMarker;
    return marker.format === MARKER_FORMAT && typeof marker.fingerprint === 'string' && Array.isArray(marker.outputs) ? marker : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Clears up what interrupted runs left at the top of the run folder: unfinished stage folders and
 * files (io/atomic.ts's recovery, which also puts back a stage folder a kill caught mid-swap), and
 * the lock's temporary files.
 */
function removeStaleEntries(runDir: string, log: RunLog): void {
  for (const { target, leftover, action } of recoverInterruptedWrites(runDir)) {
    const what = `${relative(runDir, leftover)}, left by an interrupted run for ${relative(runDir, target)}`;
    log.info(action === 'restored-previous' ? `restored ${what}` : `removed ${what}`);
  }
  for (const entry of readdirSync(runDir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.startsWith('.lock.') && (entry.name.endsWith('.tmp') || entry.name.startsWith('.lock.stale.'))) {
      rmSync(join(runDir, entry.name), { force: true });
    }
  }
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Why a stage must run: compared with its old marker. */
function rerunReason(old: StageMarker | undefined, parts: FingerprintParts, fingerprint: string, missingOutput: string | undefined, interrupted: boolean): string {
  if (old === undefined) return interrupted ? 'resuming an interrupted attempt' : 'not run before';
  if (old.fingerprint === fingerprint) return missingOutput !== undefined ? `its output ${missingOutput} is missing or changed` : 'forced';
  const reasons: string[] = [];
  if (old.parts?.config !== parts.config) reasons.push('its config changed');
  if (old.parts?.seed !== parts.seed) reasons.push('the seed changed');
  if (old.parts?.codeVersion !== parts.codeVersion || old.parts?.stageVersion !== parts.stageVersion) reasons.push('the code version changed');
  const upstream = Object.keys(parts.upstream).filter((name) => old.parts?.upstream?.[name] !== parts.upstream[name]);
  if (upstream.length > 0) reasons.push(`${upstream.join(', ')} ran again`);
  const inputs = [...new Set([...Object.keys(parts.inputs), ...Object.keys(old.parts?.inputs ?? {})])].filter(
    (input) => old.parts?.inputs?.[input] !== parts.inputs[input],
  );
  if (inputs.length > 0) reasons.push(`input ${inputs.join(', ')} changed`);
  return reasons.length > 0 ? reasons.join('; ') : 'its fingerprint changed';
}

/** The first recorded output that is gone or has another size (a cheap check; hashes are not redone). */
function missingOutput(stageDir: string, marker: StageMarker): string | undefined {
  for (const output of marker.outputs) {
    try {
      if (statSync(join(stageDir, output.path)).size !== output.size) return output.path;
    } catch {
      return output.path;
    }
  }
  return undefined;
}

/**
 * Runs the stages in `runDir` (created if needed) with the resolved `config`. Returns what ran and
 * what was up to date; throws StageFailedError when a stage throws (after logging it), and
 * RunLockedError when another irlens uses the folder.
 */
export async function runPipeline(stages: readonly Stage[], config: RunConfig, runDir: string, options: RunPipelineOptions = {}): Promise<PipelineResult> {
  const ordered = stageOrder(stages);
  const selected = options.targets === undefined ? new Set(ordered.map((stage) => stage.name)) : withDependencies(ordered, options.targets);
  const force = new Set(options.force ?? []);
  for (const name of force) if (!ordered.some((stage) => stage.name === name)) throw new PipelineError(`cannot force '${name}': there is no such stage`);
  const ancestors = new Map(ordered.map((stage) => [stage.name, withDependencies(ordered, [stage.name])]));
  const codeVersion = options.codeVersion ?? '';
  const signal = options.signal ?? new AbortController().signal;

  // Each stage's section, validated and with defaults, before anything is touched.
  const sections = new Map<string, unknown>();
  const issues: ConfigIssue[] = [];
  for (const stage of ordered) {
    const section = config[stage.configKey];
    sections.set(stage.name, stage.configSchema ? validateAgainst(stage.configSchema, section ?? {}, issues, () => undefined, [stage.configKey]) : (section ?? {}));
  }
  if (issues.length > 0) throw new ConfigValidationError(issues);

  runDir = resolve(runDir);
  const lock = acquireRunLock(runDir);
  let log: RunLog | undefined;
  let metrics: MetricsWriter | undefined;
  try {
    log = new RunLog(join(runDir, 'run.log'), options.onLog);
    metrics = new MetricsWriter(join(runDir, 'metrics.jsonl'));
    log.info(`run started (pid ${process.pid}${codeVersion ? `, irlens ${codeVersion}` : ''}): ${[...selected].join(', ')}`);
    removeStaleEntries(runDir, log);
    writeResolvedConfig(join(runDir, 'config.yaml'), config);
    const rootRng = new Rng(config.seed);
    const markers = new Map<string, StageMarker>();
    const results: StageResult[] = [];
    const stageDir = (name: string) => {
      if (!ancestors.has(name)) throw new PipelineError(`there is no stage '${name}'`);
      return join(runDir, name);
    };

    /** A stage's fingerprint from its section, the markers of its dependencies and its inputs. */
    const fingerprintOf = (stage: Stage, section: unknown, inputs: readonly string[]): { fingerprint: string; parts: FingerprintParts } => {
      const inputHashes: Record<string, string> = {};
      for (const input of inputs) {
        const inside = relative(runDir, input);
        if (!inside.startsWith('..') && !isAbsolute(inside) && inside !== '') {
          const [owner, ...rest] = inside.split(sep);
          const within = rest.join('/');
          if (owner === undefined || !ancestors.get(stage.name)!.has(owner) || owner === stage.name) {
            throw new PipelineError(`stage ${stage.name} reads ${inside}, which is not in the folder of a stage it depends on; add that stage to its dependsOn`);
          }
          const outputs = markers.get(owner)!.outputs.filter((o) => within === '' || o.path === within || o.path.startsWith(within + '/'));
          if (outputs.length === 0) throw new PipelineError(`stage ${stage.name} reads ${inside}, but stage ${owner} did not write it`);
          inputHashes[inside.split(sep).join('/')] = hashJson(outputs.map((o) => [o.path, o.sha256]));
        } else {
          if (!existsSync(input)) throw new PipelineError(`stage ${stage.name}: its input ${input} does not exist; check the path in the config`);
          inputHashes[input] = hashPath(input);
        }
      }
      const upstream: Record<string, string> = {};
      for (const dependency of stage.dependsOn) {
        const marker = markers.get(dependency)!;
        upstream[dependency] = hashJson({ fingerprint: marker.fingerprint, outputDigest: marker.outputDigest });
      }
      const parts: FingerprintParts = {
        config: hashJson(section ?? null),
        seed: config.seed,
        codeVersion,
        stageVersion: stage.version ?? '',
        upstream,
        inputs: inputHashes,
      };
      return { fingerprint: hashJson({ format: MARKER_FORMAT, stage: stage.name, parts }), parts };
    };

    for (const stage of ordered) {
      if (!selected.has(stage.name)) continue;
      if (signal.aborted) {
        log.warn(`run stopped before stage ${stage.name}`);
        signal.throwIfAborted();
      }
      const finalDir = join(runDir, stage.name);
      const section = sections.get(stage.name);
      const inputContext: StageInputContext = { runDir, config: section, runConfig: config, stageDir };
      let inputs: string[];
      let fingerprint: string;
      let parts: FingerprintParts;
      try {
        inputs = (stage.inputs?.(inputContext) ?? []).map((input) => resolve(input));
        ({ fingerprint, parts } = fingerprintOf(stage, section, inputs));
      } catch (error) {
        log.error(`stage ${stage.name}: cannot start: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }

      // Up to date?
      const old = readStageMarker(finalDir);
      const missing = old === undefined ? undefined : missingOutput(finalDir, old);
      if (old !== undefined && old.fingerprint === fingerprint && missing === undefined && !force.has(stage.name)) {
        log.info(`stage ${stage.name}: up to date, not run again`);
        rmSync(join(runDir, CHECKPOINTS_DIR, stage.name), { recursive: true, force: true }); // left if killed just after completing
        markers.set(stage.name, old);
        results.push({ name: stage.name, status: 'up-to-date', marker: old });
        continue;
      }

      // Checkpoints from an interrupted attempt count only if made under the same fingerprint.
      const checkpointDir = join(runDir, CHECKPOINTS_DIR, stage.name);
      const checkpointFingerprint = join(checkpointDir, CHECKPOINT_FINGERPRINT);
      let resumed = false;
      if (existsSync(checkpointDir)) {
        let previous: string | undefined;
        try {
          previous = readFileSync(checkpointFingerprint, 'utf8');
        } catch {
          previous = undefined;
        }
        if (previous === fingerprint && !force.has(stage.name)) resumed = readdirSync(checkpointDir).some((entry) => entry !== CHECKPOINT_FINGERPRINT);
        else rmSync(checkpointDir, { recursive: true, force: true });
      }
      mkdirSync(checkpointDir, { recursive: true });
      writeFileAtomic(checkpointFingerprint, fingerprint);

      log.info(`stage ${stage.name}: running (${rerunReason(old, parts, fingerprint, missing, resumed)})`);
      if (!resumed) metrics.rewriteWithout((record) => record.stage === stage.name);
      const staged = stageFolder(finalDir);
      const workDir = staged.dir;
      const startedAt = new Date();
      const context: StageContext = {
        ...inputContext,
        name: stage.name,
        dir: workDir,
        checkpointDir,
        resumed,
        inputs,
        log: log.forStage(stage.name),
        metrics: metrics.forStage(stage.name),
        rng: rootRng.fork(stage.name),
        signal,
      };
      let marker: StageMarker;
      try {
        const summary = (await stage.run(context)) ?? {};
        const finishedAt = new Date();
        const outputs = listFiles(workDir, { skip: (path) => path === MARKER_FILE }).map((path) => ({
          path,
          size: statSync(join(workDir, path)).size,
          sha256: hashFile(join(workDir, path)),
        }));
        marker = {
          format: MARKER_FORMAT,
          stage: stage.name,
          fingerprint,
          parts,
          startedAt: startedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          durationMs: finishedAt.getTime() - startedAt.getTime(),
          summary: JSON.parse(JSON.stringify(summary)) as StageSummary,
          outputs,
          outputDigest: hashJson(outputs.map((o) => [o.path, o.sha256])),
        };
        writeFileAtomic(join(workDir, MARKER_FILE), JSON.stringify(marker, null, 2) + '\n');
      } catch (error) {
        const cause = staged.abandon(error);
        const seconds = formatDuration(Date.now() - startedAt.getTime());
        const message = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
        try {
          log.error(`stage ${stage.name}: ${signal.aborted ? 'stopped' : 'failed'} after ${seconds}: ${message}`);
        } catch {
          // On a full disk run.log cannot grow either; the error thrown below is the one to report.
        }
        throw new StageFailedError(stage.name, cause);
      }
      // The finished folder replaces the previous one only now; a kill before this point leaves
      // the previous completion (or none) in place and this attempt to be redone.
      staged.commit();
      rmSync(checkpointDir, { recursive: true, force: true });
      const summaryText = Object.keys(marker.summary).length > 0 ? `: ${JSON.stringify(marker.summary)}` : '';
      log.info(`stage ${stage.name}: done in ${formatDuration(marker.durationMs)}${summaryText}`);
      markers.set(stage.name, marker);
      results.push({ name: stage.name, status: 'ran', marker });
    }
    const ran = results.filter((r) => r.status === 'ran').length;
    log.info(`run finished: ${ran} stage${ran === 1 ? '' : 's'} ran, ${results.length - ran} up to date`);
    return { runDir, stages: results };
  } finally {
    try {
      rmdirSync(join(runDir, CHECKPOINTS_DIR)); // only if empty
    } catch {
      /* missing, or holds checkpoints to resume from */
    }
    metrics?.close();
    log?.close();
    lock.release();
  }
}
