/**
 * What a completed stage leaves in its folder: its outputs, each with its size and hash, and
 * stage.json, the marker written last whose presence means the stage completed. `irlens sft` keeps
 * the same record of its outputs, so both decide "up to date" the same way.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hashFile, hashJson, listFiles } from './hash.js';
import type { StageSummary } from './stage.js';

export const MARKER_FILE = 'stage.json';
export const MARKER_FORMAT = 1;

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

/** Reads a stage's completion marker; undefined when there is none or it is unreadable. */
export function readStageMarker(stageDir: string): StageMarker | undefined {
  try {
    const marker = JSON.parse(readFileSync(join(stageDir, MARKER_FILE), 'utf8')) as StageMarker;
    return marker.format === MARKER_FORMAT && typeof marker.fingerprint === 'string' && Array.isArray(marker.outputs) ? marker : undefined;
  } catch {
    return undefined;
  }
}

/** Every file in `dir` but the record `recordFile`, with its size and hash. */
export function listOutputs(dir: string, recordFile: string): StageOutput[] {
  return listFiles(dir, { skip: (path) => path === recordFile }).map((path) => ({
    path,
    size: statSync(join(dir, path)).size,
    sha256: hashFile(join(dir, path)),
  }));
}

/** One hash of all outputs' paths and hashes: what a stage downstream depends on. */
export const outputDigest = (outputs: readonly StageOutput[]): string => hashJson(outputs.map((o) => [o.path, o.sha256]));

/** The first recorded output that is gone or has another size (a cheap check; hashes are not redone). */
export function missingOutput(dir: string, outputs: readonly StageOutput[]): string | undefined {
  for (const output of outputs) {
    try {
      if (statSync(join(dir, output.path)).size !== output.size) return output.path;
    } catch {
      return output.path;
    }
  }
  return undefined;
}
