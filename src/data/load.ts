/** Loading data files into DataRows: read the records, resolve the schema, map every record. */
import type { DataFormat, ReadOptions } from './read.js';
import { openRecords } from './read.js';
import type { DataRow, ResolvedSchema, SchemaOptions } from './schemas.js';
import { resolveSchema } from './schemas.js';

export interface LoadOptions extends ReadOptions, SchemaOptions {}

export interface LoadedFile {
  /** The path as given. */
  path: string;
  format: DataFormat;
  columns: string[];
  schema: ResolvedSchema;
  /** Records read from the file. */
  records: number;
  /** Records skipped because their label was missing (null or empty). */
  missingLabel: number;
}

export interface LoadedDataset {
  rows: DataRow[];
  files: LoadedFile[];
}

/** Reads one file's records and maps them through the schema (given, or detected from the columns). */
export async function loadFile(path: string, options: LoadOptions = {}): Promise<{ rows: DataRow[]; file: LoadedFile }> {
  const source = await openRecords(path, options);
  const iterator = source.records[Symbol.asyncIterator]();
  const rows: DataRow[] = [];
  let records = 0;
  let missingLabel = 0;
  let mapper;
  let finished = false;
  try {
    const first = await iterator.next();
    mapper = resolveSchema(path, source.columns, first.done === true ? undefined : first.value.values, options);
    for (let next = first; next.done !== true; next = await iterator.next()) {
      records++;
      const mapped = mapper.map(next.value);
      if (mapped.kind === 'row') rows.push(mapped.row);
      else missingLabel++;
    }
    finished = true;
  } finally {
    if (!finished) source.close();
  }
  return { rows, file: { path, format: source.format, columns: source.columns, schema: mapper.schema, records, missingLabel } };
}

/** Reads several files (for example RealToxicityPrompts' toxic.jsonl and nontoxic.jsonl) one after another. */
export async function loadDataset(paths: string | readonly string[], options: LoadOptions = {}): Promise<LoadedDataset> {
  const list = typeof paths === 'string' ? [paths] : paths;
  const rows: DataRow[] = [];
  const files: LoadedFile[] = [];
  for (const path of list) {
    const loaded = await loadFile(path, options);
    for (const row of loaded.rows) rows.push(row);
    files.push(loaded.file);
  }
  return { rows, files };
}
