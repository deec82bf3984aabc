/**
 * Reads a run folder into a RunModel. Every stage is optional (a run stopped early, or one whose
 * later stages are not built yet, still has a report of what it did); a folder that is no run at
 * all, or a completed stage's file that does not parse, is a typed error.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { IrlSummary } from '../pipeline/stages/irl-summary.js';
import type { ReuseSummary } from '../pipeline/stages/reuse-summary.js';
import { NotARunFolderError, RunFileError } from './errors.js';
import { readJsonFile, readJsonLines, readTextFile } from './files.js';
import type {
  CurvePoint, EvaluatePart, EvaluateSummary, PerSeedFigures, RlhfHeadline, RunConfigFile, RunModel, ScoredText, SimilarityMatrices, StageRecord, VariantTestScores,
} from './run-model.js';

const CONFIG_FILE = 'config.yaml';
const MARKER_FILE = 'stage.json';
const METRICS_FILE = 'metrics.jsonl';
const REPORT_STAGE = 'report';

interface Marker {
  stage: string;
  fingerprint: string;
  parts: { codeVersion: string; seed: number; inputs?: Record<string, string> };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

type MetricLine = { stage: string; [key: string]: unknown };

export function readRun(folder: string): RunModel {
  const dir = resolve(folder);
  if (!existsSync(dir)) throw new NotARunFolderError(folder, 'it does not exist');
  if (!statSync(dir).isDirectory()) throw new NotARunFolderError(folder, 'it is a file, not a folder');
  const stages = readStages(dir);
  const config = readConfig(dir);
  if (config === null && stages.length === 0) throw new NotARunFolderError(folder, `it has no ${CONFIG_FILE} and no completed stage (no <stage>/${MARKER_FILE})`);

  const done = new Set(stages.map((stage) => stage.name));
  const metrics = done.has('rlhf') || done.has('reuse') ? (readJsonLines<MetricLine>(join(dir, METRICS_FILE)) ?? []) : [];
  return {
    dir,
    name: basename(dir),
    config,
    stages,
    // A classifier the config names (ground_truth.source) is not trained here and has no evaluation.json.
    groundTruth: done.has('ground-truth') ? (readJsonFile<Record<string, number | null>>(join(dir, 'ground-truth', 'evaluation.json')) ?? null) : null,
    rlhf: done.has('rlhf') ? { headline: readJsonFile<{ headline?: RlhfHeadline }>(join(dir, 'rlhf', 'summary.json'))?.headline ?? null, curves: curvesOf(metrics, 'rlhf') } : null,
    evaluation: done.has('evaluate') ? readEvaluation(dir) : null,
    demonstrations: done.has('demonstrations') ? (readJsonFile<{ continuations?: RunModel['demonstrations'] }>(join(dir, 'demonstrations', 'summary.json'))?.continuations ?? null) : null,
    testScores: done.has('irl') ? readTestScores(dir, done.has('demonstrations')) : null,
    reuse: done.has('reuse') ? { summary: required<ReuseSummary>(dir, 'reuse/summary.json'), curves: curvesOf(metrics, 'reuse') } : null,
  };
}

/** A file a completed stage promises; its absence means the folder was damaged. */
function required<T>(dir: string, path: string): T {
  const value = path.endsWith('.jsonl') ? readJsonLines(join(dir, path)) : readJsonFile(join(dir, path));
  if (value === undefined) throw new RunFileError(join(dir, path), 'its stage completed but the file is missing');
  return value as T;
}

/** Every sub-folder holding a completion marker; a folder without one is a stage that did not finish. */
function readStages(dir: string): StageRecord[] {
  const stages: StageRecord[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // The report does not report on itself: its folder holds the page it is about to replace.
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === REPORT_STAGE) continue;
    const file = join(dir, entry.name, MARKER_FILE);
    const marker = readJsonFile<Marker>(file);
    if (marker === undefined) continue;
    if (typeof marker.fingerprint !== 'string' || typeof marker.parts !== 'object') throw new RunFileError(file, 'it is not a stage marker (no fingerprint or parts)');
    stages.push({
      name: entry.name,
      fingerprint: marker.fingerprint,
      codeVersion: marker.parts.codeVersion,
      seed: marker.parts.seed,
      inputs: marker.parts.inputs ?? {},
      startedAt: marker.startedAt,
      finishedAt: marker.finishedAt,
      durationMs: marker.durationMs,
    });
  }
  return stages.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
}

function readConfig(dir: string): RunConfigFile | null {
  const file = join(dir, CONFIG_FILE);
  const text = readTextFile(file);
  if (text === undefined) return null;
  let values: unknown;
  try {
    values = parseYaml(text);
  } catch (error) {
    throw new RunFileError(file, `not YAML: ${(error as Error).message}`);
  }
  return { text, values: typeof values === 'object' && values !== null ? (values as Record<string, unknown>) : {} };
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The rounds PPO logged for a stage: the records that carry a round's rollout figures. */
function curvesOf(metrics: readonly MetricLine[], stage: string): CurvePoint[] {
  return metrics
    .filter((m) => m.stage === stage && 'rollout/reward/mean' in m && typeof m.seed === 'number' && typeof m.ppo_step === 'number')
    .map((m) => ({
      policy: typeof m.policy === 'string' ? m.policy : null,
      seed: m.seed as number,
      step: m.ppo_step as number,
      reward: numberOrNull(m['rollout/reward/mean']),
      klPerSequence: numberOrNull(m['rollout/kl/per_sequence']),
      groundTruth: numberOrNull(m['rollout/ground_truth/mean']),
    }));
}

function readEvaluation(dir: string): EvaluatePart {
  return {
    summary: required<EvaluateSummary>(dir, 'evaluate/summary.json'),
    perSeed: required<PerSeedFigures[]>(dir, 'evaluate/per-seed.jsonl'),
    similarity: required<SimilarityMatrices>(dir, 'evaluate/similarity.json'),
  };
}

interface ScoreLine {
  split: string;
  row: number;
  prompt?: string;
  fromExpert?: boolean;
  groundTruth?: number | null;
  score: number;
}

interface DemonstrationLine {
  id: string;
  split: string;
  prompt: string;
  expert: { text: string }[];
  baseline: { text: string }[];
}

/**
 * Seed 0's scores of the test texts for every variant (an unseeded variant's only run), the
 * texts the ground truth judged. A score line's row is its place among the test split's texts
 * in the order irl scored them: per prompt, the expert's continuations, then the baseline's.
 */
function readTestScores(dir: string, withWords: boolean): VariantTestScores[] {
  const irl = required<IrlSummary>(dir, 'irl/summary.json');
  const words = withWords ? testWords(dir) : [];
  return irl.variants.flatMap((variant) => {
    const run = variant.runs.find((r) => r.seed === 0) ?? variant.runs.find((r) => r.seed === null);
    if (run === undefined) return [];
    const lines = required<ScoreLine[]>(dir, join('irl', run.scores));
    const texts = lines
      .filter((l) => l.split === 'test' && typeof l.groundTruth === 'number')
      .map((l): ScoredText => {
        const text = words[l.row];
        return {
          prompt: l.prompt ?? '',
          fromExpert: l.fromExpert === true,
          toxicity: -l.groundTruth!,
          score: l.score,
          words: text !== undefined && text.id === l.prompt && text.fromExpert === l.fromExpert ? { prompt: text.prompt, continuation: text.continuation } : null,
        };
      });
    return [{ variant: variant.name, kind: variant.kind, seed: run.seed, texts }];
  });
}

function testWords(dir: string): { id: string; fromExpert: boolean; prompt: string; continuation: string }[] {
  const lines = required<DemonstrationLine[]>(dir, 'demonstrations/demonstrations.jsonl');
  return lines
    .filter((line) => line.split === 'test')
    .flatMap((line) => [
      ...line.expert.map((c) => ({ id: line.id, fromExpert: true, prompt: line.prompt, continuation: c.text })),
      ...line.baseline.map((c) => ({ id: line.id, fromExpert: false, prompt: line.prompt, continuation: c.text })),
    ]);
}
