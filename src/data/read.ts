/**
 * Reading records (one plain object per data row) from JSONL, JSON, CSV/TSV and Parquet files.
 * CSV and JSONL are streamed (gzip-compressed `.gz` files too); Parquet is read one row group at
 * a time, in a worker thread that a corrupt file cannot hang (parquet-decode.ts). Parsing is left to well-kept libraries: csv-parse for CSV, hyparquet (with
 * hyparquet-compressors for gzip, zstd, brotli and lz4; snappy is built in) for Parquet.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { parse as parseCsv, CsvError, type InfoRecord, type Options } from 'csv-parse';
import type { FileMetaData } from 'hyparquet';
import { CsvSyntaxError, DataError, DataOptionError, JsonSyntaxError, MissingFileError, ParquetReadError } from './errors.js';
import { decodeRows, readFooter } from './parquet-decode.js';

export const DATA_FORMATS = ['jsonl', 'json', 'csv', 'tsv', 'parquet'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export interface ReadOptions {
  /** The file's format; by default from its extension (.jsonl/.ndjson, .json, .csv, .tsv, .parquet, each optionally .gz except Parquet). */
  format?: DataFormat;
  /** CSV field delimiter; default ',' (tab for tsv). */
  delimiter?: string;
}

/** One record of a file: its values by column, its 1-based data row (header excluded) and the line it starts on. */
export interface SourceRecord {
  values: Record<string, unknown>;
  row: number;
  line?: number;
}

export interface RecordSource {
  file: string;
  format: DataFormat;
  /** Column names: the CSV header, the Parquet schema's top-level fields, or the first JSON object's keys. */
  columns: string[];
  /** The records in file order. One pass only. */
  records: AsyncIterable<SourceRecord>;
  /** Stops reading and releases the file (for a caller that stops before the end). */
  close(): void;
}

/** The format a file's name says it has, or undefined. */
export function formatFromPath(path: string): DataFormat | undefined {
  const name = basename(path).toLowerCase().replace(/\.gz$/u, '');
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  return undefined;
}

export function checkInputFile(path: string): number {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new MissingFileError(path, 'the file does not exist', 'check the path (relative paths are resolved from the current folder)');
  }
  if (!stats.isFile()) throw new MissingFileError(path, 'this is not a file (a folder?)', 'give the path of a .jsonl, .json, .csv, .tsv or .parquet file');
  return stats.size;
}

function resolveFormat(path: string, options: ReadOptions): DataFormat {
  if (options.format !== undefined) {
    if (!(DATA_FORMATS as readonly string[]).includes(options.format)) {
      throw new DataOptionError(path, `unknown format ${JSON.stringify(options.format)}`, `use one of ${DATA_FORMATS.join(', ')}`);
    }
    return options.format;
  }
  const format = formatFromPath(path);
  if (format === undefined) {
    throw new DataOptionError(path, 'the format cannot be told from the file name', `pass a format (${DATA_FORMATS.join(', ')})`);
  }
  return format;
}

const isGzipped = (path: string) => path.toLowerCase().endsWith('.gz');

function byteStream(path: string): Readable {
  const source = createReadStream(path);
  if (!isGzipped(path)) return source;
  const gunzip = createGunzip();
  source.on('error', (error) => gunzip.destroy(error));
  return source.pipe(gunzip);
}

/** Opens a data file for reading its records; checks that it exists and reads its columns. */
export async function openRecords(path: string, options: ReadOptions = {}): Promise<RecordSource> {
  const bytes = checkInputFile(path);
  const format = resolveFormat(path, options);
  if (format === 'parquet') return openParquet(path, bytes);
  if (format === 'csv' || format === 'tsv') return openCsv(path, format, options.delimiter ?? (format === 'tsv' ? '\t' : ','));
  if (format === 'json') return openJson(path);
  return peekColumns(path, format, jsonlRecords(path));
}

/** Reads every record of a file into memory. */
export async function readRecords(path: string, options: ReadOptions = {}): Promise<{ file: string; format: DataFormat; columns: string[]; records: SourceRecord[] }> {
  const source = await openRecords(path, options);
  const records: SourceRecord[] = [];
  for await (const record of source.records) records.push(record);
  return { file: source.file, format: source.format, columns: source.columns, records };
}

/** For JSON formats the columns are the first record's keys; the first record is read ahead and handed out again. */
async function peekColumns(file: string, format: DataFormat, records: AsyncGenerator<SourceRecord>): Promise<RecordSource> {
  const first = await records.next();
  const columns = first.done === true ? [] : Object.keys(first.value.values);
  async function* all(): AsyncGenerator<SourceRecord> {
    if (first.done === true) return;
    yield first.value;
    yield* records;
  }
  return { file, format, columns, records: all(), close: () => void records.return(undefined) };
}

function asObject(file: string, value: unknown, location: { row: number; line?: number }): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    throw new JsonSyntaxError(file, `expected a JSON object (one data row), got ${what}`, 'each row must be an object such as {"text": "...", "label": 1}', location);
  }
  return value as Record<string, unknown>;
}

async function* jsonlRecords(file: string): AsyncGenerator<SourceRecord> {
  const input = byteStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  let line = 0;
  let row = 0;
  try {
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw unreadable(file, error);
      }
      if (next.done === true) return;
      line++;
      const text = line === 1 ? next.value.replace(/^\uFEFF/u, '') : next.value;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new JsonSyntaxError(file, `this line is not valid JSON (${(error as Error).message})`, 'fix or remove the line; JSONL needs one complete JSON object per line', { line });
      }
      row++;
      yield { values: asObject(file, value, { row, line }), row, line };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

async function openJson(file: string): Promise<RecordSource> {
  const bytes = readFileSync(file);
  const text = (isGzipped(file) ? gunzipSync(bytes) : bytes).toString('utf8').replace(/^\uFEFF/u, '');
  if (!text.trimStart().startsWith('[')) return peekColumns(file, 'jsonl', jsonlRecords(file)); // JSON Lines under a .json name
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JsonSyntaxError(file, `the file is not valid JSON (${(error as Error).message})`, 'a .json data file must hold one array of row objects (or use JSON Lines)');
  }
  const rows = value as unknown[];
  const records = rows.map((item, index) => ({ values: asObject(file, item, { row: index + 1 }), row: index + 1 }));
  async function* all(): AsyncGenerator<SourceRecord> {
    yield* records;
  }
  return { file, format: 'json', columns: records.length === 0 ? [] : Object.keys(records[0]!.values), records: all(), close: () => undefined };
}

/** A read error that is not about the file's syntax (I/O, a truncated .gz), as a DataError naming the file. */
function unreadable(file: string, error: unknown): Error {
  if (error instanceof DataError) return error;
  return new DataError(file, `the file could not be read (${(error as Error).message})`, 'check that the file is complete and readable (a .gz file may be truncated)');
}

/** Line breaks (CRLF, LF or CR, each one break) in a string. */
const lineBreaks = (text: string): number => {
  let count = 0;
  for (const _ of text.matchAll(/\r\n|\r|\n/gu)) count++;
  return count;
};

/**
 * Turns csv-parse's error into a CsvSyntaxError naming the line where the broken record starts.
 * (Line numbers are counted here from the parsed fields: csv-parse counts a CRLF inside a quoted
 * field as two lines.)
 */
function csvError(file: string, error: unknown, recordStart: number): Error {
  if (!(error instanceof CsvError)) return unreadable(file, error);
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new CsvSyntaxError(
      file,
      `a quoted field in the record that starts on line ${recordStart} is never closed (the parser ran to the end of the file)`,
      `close the quote in the record on line ${recordStart}, and write each quote inside a quoted field as two quotes ("")`,
      { line: recordStart },
    );
  }
  const fix =
    error.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' || error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
      ? 'every row needs as many fields as the header; quote fields that contain the delimiter'
      : 'quote the whole field and write each quote inside it as two quotes ("")';
  const problem = `${error.message.replace(/\s+(at|on) line \d+/u, '')} (in the record that starts on line ${recordStart})`;
  return new CsvSyntaxError(file, problem, fix, { line: recordStart });
}

async function openCsv(file: string, format: DataFormat, delimiter: string): Promise<RecordSource> {
  let nextLine = 1; // where the next record starts, before any empty lines
  let emptyLines = 0; // empty lines skipped so far
  // on_record runs synchronously as each record is parsed, so when a later record fails to
  // parse, nextLine already points at the broken record's first line.
  const options: Options<{ record: string[]; line: number }, string[]> = {
    bom: true,
    delimiter,
    skip_empty_lines: true,
    relax_column_count: false,
    on_record: (record: string[], context: InfoRecord) => {
      const line = nextLine + (context.empty_lines - emptyLines);
      emptyLines = context.empty_lines;
      nextLine = line + 1 + record.reduce((sum, field) => sum + lineBreaks(field), 0);
      return { record, line };
    },
  };
  const parser = parseCsv(options as unknown as Options);
  const input = byteStream(file);
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; line: number }>;
  const next = async () => {
    try {
      const result = await iterator.next();
      return result.done === true ? { done: true as const } : { done: false as const, ...result.value };
    } catch (error) {
      const skipped = error instanceof CsvError ? Math.max(0, ((error as CsvError & { empty_lines?: number }).empty_lines ?? emptyLines) - emptyLines) : 0;
      throw csvError(file, error, nextLine + skipped);
    }
  };

  const header = await next().catch((error: unknown) => {
    input.destroy();
    throw error;
  });
  if (header.done) {
    input.destroy();
    throw new CsvSyntaxError(file, 'the file is empty (no header row)', 'a CSV data file needs a header row naming its columns, then one row per example');
  }
  const columns = header.record.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) {
      input.destroy();
      parser.destroy();
      throw new CsvSyntaxError(file, `the header names the column ${JSON.stringify(name)} twice`, 'give every column a distinct name', { line: header.line });
    }
    seen.add(name);
  }

  async function* records(): AsyncGenerator<SourceRecord> {
    let row = 0;
    for (;;) {
      const result = await next();
      if (result.done) return;
      row++;
      const values: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) values[columns[i]!] = result.record[i];
      yield { values, row, line: result.line };
    }
  }
  const close = () => {
    input.destroy();
    parser.destroy();
  };
  return { file, format, columns, records: records(), close };
}

/**
 * How long reading the footer, or one row group, may take: a second, plus two per megabyte of the
 * file (not of the row group, whose size a corrupt footer could inflate). A sound file reads many
 * times faster.
 */
const readDeadlineMs = (fileBytes: number) => 1000 + (2000 * fileBytes) / 1e6;

const parquetFix = 'check that the file was downloaded completely and is Parquet (Hugging Face: the files under refs/convert/parquet or data/*.parquet)';

async function openParquet(file: string, fileBytes: number): Promise<RecordSource> {
  if (isGzipped(file)) throw new ParquetReadError(file, 'gzip-compressed Parquet files are not read', 'gunzip the file first (Parquet compresses its pages itself)');
  const deadlineMs = readDeadlineMs(fileBytes);
  let metadata: FileMetaData;
  let columns: string[];
  try {
    ({ metadata, columns } = await readFooter(file, deadlineMs));
  } catch (error) {
    throw new ParquetReadError(file, `this is not a readable Parquet file (${(error as Error).message})`, parquetFix);
  }
  async function* records(): AsyncGenerator<SourceRecord> {
    let rowStart = 0;
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      let objects: Record<string, unknown>[];
      try {
        objects = await decodeRows(file, metadata, rowStart, rowEnd, deadlineMs);
      } catch (error) {
        throw new ParquetReadError(file, `rows ${rowStart + 1}–${rowEnd} could not be read (${(error as Error).message})`, parquetFix);
      }
      for (let i = 0; i < objects.length; i++) yield { values: objects[i]!, row: rowStart + i + 1 };
      rowStart = rowEnd;
    }
  }
  return { file, format: 'parquet', columns, records: records(), close: () => undefined };
}
