/**
 * `irlens curate`: load one or more data inputs (files, folders of data files, or hub data set
 * ids: see inputs.ts for the rule that tells them apart), curate them, and write `curated.jsonl`
 * and `manifest.json` into the output folder, each atomically (temporary file, then rename). The
 * manifest is written last, so a folder with a manifest holds a complete curation.
 *
 * Output is deterministic: the same inputs, options and seed give byte-identical files (the
 * manifest has no timestamps).
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { HubOptions } from '../io/hub-snapshot.js';
import type { CurationOptions, CurationParameters, CurationResult, DropReason, LabelCounts, Split, SplitCounts } from './curate.js';
import { curate, curatedRowJson } from './curate.js';
import type { LoadOptions, LoadedFile } from './load.js';
import { loadDataset } from './load.js';
import { DataOptionError } from './errors.js';
import { resolveDataInputs, type ResolvedInput } from './inputs.js';
import { checkInputFile } from './read.js';
import type { ResolvedSchema } from './schemas.js';
import { irlensVersion } from './version.js';

export const CURATED_FILE = 'curated.jsonl';
export const MANIFEST_FILE = 'manifest.json';

export interface CurateCommandOptions extends LoadOptions, CurationOptions {
  /**
   * One data input, or several read one after another (e.g. toxic.jsonl and nontoxic.jsonl): a
   * file, a folder of data files, or a hub data set id such as jaredjoss/jigsaw-long-2000.
   */
  input: string | string[];
  /** How hub data sets are fetched (cache, token, offline...); default: from the environment. */
  hub?: HubOptions;
  /** Folder for curated.jsonl and manifest.json; created if missing. */
  outDir: string;
  /** A name for the tokenizer (recorded in the manifest when lengths are in tokens). */
  tokenizerName?: string;
}

export interface CurateSummary {
  outDir: string;
  curatedFile: string;
  manifestFile: string;
  inputs: Array<{ path: string; format: string; schema: string; rows: number; hub: HubProvenance | null }>;
  inputRows: number;
  keptRows: number;
  labels: LabelCounts;
  splits: Record<Split, SplitCounts>;
  dropped: Record<DropReason, number>;
}

/** Which hub data set (and which file of it, at which commit) a curated file came from. */
export interface HubProvenance {
  dataset: string;
  revision: string;
  commit: string;
  /** The file's path in the repo, e.g. data/train-00000-of-00001.parquet. */
  file: string;
  /** `cache`: found in the hub cache; `hub`: downloaded by this curation. */
  source: 'cache' | 'hub';
}

export interface CurationManifest {
  irlens: { version: string; command: 'curate' };
  inputs: Array<{ path: string; name: string; sha256: string; bytes: number; format: string; columns: string[]; schema: ResolvedSchema; rows: number; missingLabel: number; hub: HubProvenance | null }>;
  parameters: {
    format: string | null;
    delimiter: string | null;
    schema: string;
    textColumn: string | null;
    labelColumn: string | null;
    idColumn: string | null;
    promptColumn: string | null;
    continuationColumn: string | null;
    scoreColumns: string[] | null;
    positiveValues: Array<string | number | boolean> | null;
    threshold: number | null;
    jigsawLabel: string | null;
    rtpLabelFrom: string | null;
    tokenizer: string | null;
  } & CurationParameters;
  counts: {
    inputRows: number;
    keptRows: number;
    dropped: Record<DropReason, number>;
    labels: LabelCounts;
    splits: Record<Split, SplitCounts>;
  };
  outputs: { [CURATED_FILE]: { sha256: string; rows: number } };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Each file of the resolved inputs, with where it came from when that was the hub. */
function filesOfInputs(inputs: readonly ResolvedInput[]): Array<{ path: string; hub: HubProvenance | null }> {
  return inputs.flatMap((input) =>
    input.files.map((path, index) => {
      const { dataset } = input;
      if (dataset === undefined) return { path, hub: null };
      const source = input.source === 'hub' ? 'hub' : 'cache';
      return { path, hub: { dataset: dataset.id, revision: dataset.revision, commit: dataset.commit, file: dataset.repoFiles[index]!, source } };
    }),
  );
}

function manifestFor(
  options: CurateCommandOptions,
  files: readonly LoadedFile[],
  provenance: ReadonlyArray<HubProvenance | null>,
  hashes: ReadonlyArray<{ sha256: string; bytes: number }>,
  result: CurationResult,
  curatedSha256: string,
): CurationManifest {
  return {
    irlens: { version: irlensVersion(), command: 'curate' },
    inputs: files.map((file, index) => ({
      path: file.path,
      name: basename(file.path),
      sha256: hashes[index]!.sha256,
      bytes: hashes[index]!.bytes,
      format: file.format,
      columns: file.columns,
      schema: file.schema,
      rows: file.records,
      missingLabel: file.missingLabel,
      hub: provenance[index]!,
    })),
    parameters: {
      format: options.format ?? null,
      delimiter: options.delimiter ?? null,
      schema: options.schema ?? 'auto',
      textColumn: options.textColumn ?? null,
      labelColumn: options.labelColumn ?? null,
      idColumn: options.idColumn ?? null,
      promptColumn: options.promptColumn ?? null,
      continuationColumn: options.continuationColumn ?? null,
      scoreColumns: options.scoreColumns ?? null,
      positiveValues: options.positiveValues ?? null,
      threshold: options.threshold ?? null,
      jigsawLabel: options.jigsawLabel ?? null,
      rtpLabelFrom: options.rtpLabelFrom ?? null,
      tokenizer: options.tokenizer === undefined ? null : (options.tokenizerName ?? 'custom'),
      ...result.parameters,
    },
    counts: { inputRows: result.inputRows, keptRows: result.keptRows, dropped: result.dropped, labels: result.labels, splits: result.splits },
    outputs: { [CURATED_FILE]: { sha256: curatedSha256, rows: result.keptRows } },
  };
}

/** Loads, curates and writes; returns what was done. Throws DataError subclasses for problems the user can fix. */
export async function curateCommand(options: CurateCommandOptions): Promise<CurateSummary> {
  const inputs = typeof options.input === 'string' ? [options.input] : [...options.input];
  if (inputs.length === 0) throw new DataOptionError(undefined, 'no input was given', 'pass at least one data file, folder or hub data set id');
  const files = filesOfInputs(await resolveDataInputs(inputs, options.hub));
  const paths = files.map((file) => file.path);
  for (const path of paths) checkInputFile(path);
  const loaded = await loadDataset(paths, options);
  const missingLabel = loaded.files.reduce((sum, file) => sum + file.missingLabel, 0);
  const result = curate(loaded.rows, options, { file: inputs.join(', '), missingLabel });

  const lines = result.rows.map((row) => `${curatedRowJson(row)}\n`).join('');
  const curatedBytes = Buffer.from(lines, 'utf8');
  const curatedSha256 = createHash('sha256').update(curatedBytes).digest('hex');
  const hashes = [];
  for (const path of paths) hashes.push({ sha256: await sha256OfFile(path), bytes: checkInputFile(path) });
  const provenance = files.map((file) => file.hub);
  const manifest = manifestFor(options, loaded.files, provenance, hashes, result, curatedSha256);

  mkdirSync(options.outDir, { recursive: true });
  const curatedFile = join(options.outDir, CURATED_FILE);
  const manifestFile = join(options.outDir, MANIFEST_FILE);
  writeFileAtomic(curatedFile, [curatedBytes]);
  writeFileAtomic(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    outDir: options.outDir,
    curatedFile,
    manifestFile,
    inputs: loaded.files.map((file, index) => ({ path: file.path, format: file.format, schema: file.schema.name, rows: file.records, hub: provenance[index]! })),
    inputRows: result.inputRows,
    keptRows: result.keptRows,
    labels: result.labels,
    splits: result.splits,
    dropped: result.dropped,
  };
}
