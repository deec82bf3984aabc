/**
 * A stage's fingerprint: a hash of its config section, the run's seed, the code versions, the
 * fingerprint and output digest of each stage it depends on, and the hashes of its declared
 * inputs. Its parts are kept in the marker, so a rerun can say what changed.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { PipelineError } from './errors.js';
import { hashJson, hashPath } from './hash.js';
import { MARKER_FORMAT, outputDigest, type FingerprintParts, type StageMarker } from './marker.js';
import type { Stage } from './stage.js';

/** What a fingerprint depends on besides the stage itself. */
export interface FingerprintContext {
  runDir: string;
  seed: number;
  codeVersion: string;
  /** Stage → itself and every stage it depends on (RunPlan's). */
  ancestors: ReadonlyMap<string, ReadonlySet<string>>;
  /** The markers of the stages done so far in this run. */
  markers: ReadonlyMap<string, StageMarker>;
}

/** A stage's fingerprint from its section, the markers of its dependencies and its inputs (absolute paths). */
export function stageFingerprint(stage: Stage, section: unknown, inputs: readonly string[], context: FingerprintContext): { fingerprint: string; parts: FingerprintParts } {
  const upstream: Record<string, string> = {};
  for (const dependency of stage.dependsOn) {
    const marker = context.markers.get(dependency)!;
    upstream[dependency] = hashJson({ fingerprint: marker.fingerprint, outputDigest: marker.outputDigest });
  }
  const parts: FingerprintParts = {
    config: hashJson(section ?? null),
    seed: context.seed,
    codeVersion: context.codeVersion,
    stageVersion: stage.version ?? '',
    upstream,
    inputs: inputHashes(stage, inputs, context),
  };
  return { fingerprint: hashJson({ format: MARKER_FORMAT, stage: stage.name, parts }), parts };
}

/**
 * An input outside the run folder as the fingerprint names it: a file of an npm package by the
 * package (so a run folder copied to another checkout or machine with the same packages is up to
 * date there), any other by its path.
 */
export function externalInputName(input: string): string {
  const parts = input.split(sep);
  const at = parts.lastIndexOf('node_modules');
  return at >= 0 && at < parts.length - 1 ? `npm:${parts.slice(at + 1).join('/')}` : input;
}

/**
 * Input → content hash. An input inside the run folder must be an output of a stage this one
 * depends on, and is hashed from that stage's marker; one outside is hashed from disk.
 */
function inputHashes(stage: Stage, inputs: readonly string[], context: FingerprintContext): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const input of inputs) {
    const inside = relative(context.runDir, input);
    if (!inside.startsWith('..') && !isAbsolute(inside) && inside !== '') {
      const [owner, ...rest] = inside.split(sep);
      const within = rest.join('/');
      if (owner === undefined || !context.ancestors.get(stage.name)!.has(owner) || owner === stage.name) {
        throw new PipelineError(`stage ${stage.name} reads ${inside}, which is not in the folder of a stage it depends on; add that stage to its dependsOn`);
      }
      const outputs = context.markers.get(owner)!.outputs.filter((o) => within === '' || o.path === within || o.path.startsWith(within + '/'));
      if (outputs.length === 0) throw new PipelineError(`stage ${stage.name} reads ${inside}, but stage ${owner} did not write it`);
      hashes[inside.split(sep).join('/')] = outputDigest(outputs);
    } else {
      if (!existsSync(input)) throw new PipelineError(`stage ${stage.name}: its input ${input} does not exist; check the path in the config`);
      hashes[externalInputName(input)] = hashPath(input);
    }
  }
  return hashes;
}

/** Why a stage must run: compared with its old marker. */
export function rerunReason(old: StageMarker | undefined, parts: FingerprintParts, fingerprint: string, missingOutput: string | undefined, interrupted: boolean): string {
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
