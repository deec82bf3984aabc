/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON (padded with spaces)
 * describing each tensor's dtype, shape and [begin, end) byte range in the data that follows,
 * plus an optional "__metadata__" map of strings. See https://github.com/huggingface/safetensors.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { BYTES_PER_ELEMENT, STORED_DTYPES, assertLittleEndianHost, decodeElements, int32ToInt64Bytes, isStoredDtype, type StoredDtype } from './dtypes.js';
import { CheckpointError } from './errors.js';
import { previewJson } from './preview.js';
import { elementCount, type TensorMap, type TensorRecord } from './record.js';

/** Headers larger than this are refused before anything is allocated (the reference reader's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

export interface SafetensorsEntry {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  /** Byte range inside the data section, which starts at `dataStart` in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  entries: SafetensorsEntry[];
  /** File offset of the data section (8 + header length). */
  dataStart: number;
}

/** Fills `target` from `fd` at `position`; a short read means the file ended early. */
function readExact(fd: number, target: Uint8Array, position: number, file: string, what: string): void {
  let done = 0;
  while (done < target.byteLength) {
    // One readSync call moves at most 2 GiB.
    const length = Math.min(target.byteLength - done, 0x40000000);
    const got = readSync(fd, target, done, length, position + done);
    if (got === 0) throw new CheckpointError(file, `the file ends in the middle of ${what} (truncated)`);
    done += got;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function parseEntry(name: string, value: unknown, dataBytes: number, file: string): SafetensorsEntry {
  const bad = (problem: string) => new CheckpointError(file, `tensor '${name}' in the header ${problem}`);
  if (!isObject(value)) throw bad('is not an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw bad('has no dtype');
  if (!isStoredDtype(dtype)) {
    throw new CheckpointError(
      file,
      `tensor '${name}' has dtype '${dtype}', which irlens cannot read (it reads ${STORED_DTYPES.join(', ')})`,
      'convert the checkpoint to float32, float16 or bfloat16',
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`has shape ${previewJson(shape)}, which is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw bad(`has data_offsets ${previewJson(offsets)}, which is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`has data_offsets [${begin}, ${end}] that run backwards`);
  if (end > dataBytes) {
    throw bad(`has data_offsets [${begin}, ${end}] outside the ${dataBytes} bytes of data the file holds (truncated or corrupt)`);
  }
  const count = elementCount(shape as number[]);
  const expected = count * BYTES_PER_ELEMENT[dtype];
  if (!Number.isSafeInteger(expected) || expected !== end - begin) {
    throw bad(`spans ${end - begin} bytes but ${dtype} × shape [${(shape as number[]).join(', ')}] needs ${expected}`);
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

/** Reads and checks a safetensors header without reading any tensor data. */
function readHeaderFromFd(fd: number, file: string): SafetensorsHeader {
  const fileBytes = fstatSync(fd).size;
  if (fileBytes < 8) {
    throw new CheckpointError(file, `the file has ${fileBytes} bytes, fewer than the 8-byte header length a safetensors file starts with (truncated or not safetensors)`);
  }
  const lengthField = Buffer.alloc(8);
  readExact(fd, lengthField, 0, file, 'the header length');
  const claimed = lengthField.readBigUInt64LE(0);
  if (claimed > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, `the header claims ${claimed} bytes, more than the ${MAX_HEADER_BYTES}-byte limit; this is not a safetensors file or it is corrupt`);
  }
  const headerBytes = Number(claimed);
  if (8 + headerBytes > fileBytes) {
    throw new CheckpointError(file, `the header claims ${headerBytes} bytes but only ${fileBytes - 8} follow the length field (truncated or not safetensors)`);
  }
  const raw = Buffer.alloc(headerBytes);
  readExact(fd, raw, 8, file, 'the header');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (error) {
    throw new CheckpointError(file, `the header is not valid UTF-8 JSON (${(error as Error).message}); this is not a safetensors file or it is corrupt`);
  }
  if (!isObject(parsed)) throw new CheckpointError(file, 'the header is JSON but not an object of tensors; this is not a safetensors file');

  const dataStart = 8 + headerBytes;
  const dataBytes = fileBytes - dataStart;
  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === METADATA_KEY) {
      if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        throw new CheckpointError(file, `"${METADATA_KEY}" in the header is not a map of strings to strings`);
      }
      metadata = { ...(value as Record<string, string>) };
      continue;
    }
    entries.push(parseEntry(name, value, dataBytes, file));
  }
  // Tensors must not share bytes: sort by start and check each begins after the previous ends.
  const byStart = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < byStart.length; i++) {
    const previous = byStart[i - 1]!;
    const current = byStart[i]!;
    if (current.begin < previous.end) {
      throw new CheckpointError(file, `tensors '${previous.name}' [${previous.begin}, ${previous.end}) and '${current.name}' [${current.begin}, ${current.end}) overlap in the data (corrupt header)`);
    }
  }
  return { metadata, entries, dataStart };
}

function withFile<T>(file: string, use: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointError(file, `cannot open the file (${code ?? (error as Error).message})`, 'check the path and its permissions');
  }
  try {
    // Opening a folder succeeds; reading it would fail with a raw EISDIR.
    if (!fstatSync(fd).isFile()) throw new CheckpointError(file, 'is not a regular file (a folder?)', 'pass the path of a .safetensors file');
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withFile(file, (fd) => readHeaderFromFd(fd, file));
}

export interface ReadSafetensorsOptions {
  /** Read only these tensors (all when absent); a name the file lacks is an error. */
  names?: Iterable<string>;
}

/**
 * Reads a safetensors file into records: F32/F16/BF16/F64 become float32, I64/I32 (and small
 * integer types) int32. The whole header is validated before any tensor memory is allocated.
 */
export function readSafetensors(file: string, options: ReadSafetensorsOptions = {}): TensorMap {
  return withFile(file, (fd) => {
    const header = readHeaderFromFd(fd, file);
    assertLittleEndianHost(file);
    let entries = header.entries;
    if (options.names) {
      const byName = new Map(entries.map((e) => [e.name, e]));
      entries = [...options.names].map((name) => {
        const entry = byName.get(name);
        if (!entry) throw new CheckpointError(file, `has no tensor named '${name}'`, 'check the index file or the parameter name');
        return entry;
      });
    }
    const tensors: TensorMap = new Map();
    for (const entry of entries) {
      const count = elementCount(entry.shape);
      const position = header.dataStart + entry.begin;
      const what = `tensor '${entry.name}'`;
      let record: TensorRecord;
      // float32/int32 are read straight into the record's memory; other dtypes are converted.
      if (entry.dtype === 'F32') {
        const data = new Float32Array(count);
        readExact(fd, new Uint8Array(data.buffer), position, file, what);
        record = { dtype: 'float32', shape: entry.shape, data };
      } else if (entry.dtype === 'I32') {
        const data = new Int32Array(count);
        readExact(fd, new Uint8Array(data.buffer), position, file, what);
        record = { dtype: 'int32', shape: entry.shape, data };
      } else {
        const bytes = new Uint8Array(entry.end - entry.begin);
        readExact(fd, bytes, position, file, what);
        record = { shape: entry.shape, ...decodeElements(bytes, entry.dtype, count, file, entry.name) };
      }
      tensors.set(entry.name, record);
    }
    return tensors;
  });
}

export interface WriteSafetensorsOptions {
  /** String metadata for "__metadata__"; {"format": "pt"} by default so that transformers accepts the file. */
  metadata?: Record<string, string>;
  /** How int32 records are stored: I64 (torch.long, what transformers expects for ids) by default. */
  integerDtype?: 'I32' | 'I64';
}

/** Checks that a record is self-consistent before anything is written. */
function checkRecord(file: string, name: string, record: TensorRecord): void {
  const bad = (problem: string) => new CheckpointError(file, `cannot write tensor '${name}': ${problem}`, 'fix the tensor before saving');
  if (name === METADATA_KEY || name.length === 0) throw bad('the name is empty or reserved');
  if (!record.shape.every((d) => isCount(d))) throw bad(`shape [${record.shape.join(', ')}] is not a list of non-negative integers`);
  const expectedType = record.dtype === 'float32' ? Float32Array : Int32Array;
  if (!(record.data instanceof expectedType)) throw bad(`dtype is ${record.dtype} but data is a ${record.data.constructor.name}`);
  const count = elementCount(record.shape);
  if (record.data.length !== count) throw bad(`shape [${record.shape.join(', ')}] has ${count} elements but data has ${record.data.length}`);
}

/**
 * Writes records as safetensors: float32 as F32, int32 as I64 or I32. The header is padded with
 * spaces so the data starts on an 8-byte boundary; the file appears only once complete.
 */
export function writeSafetensors(
  file: string,
  tensors: TensorMap | Iterable<readonly [string, TensorRecord]>,
  options: WriteSafetensorsOptions = {},
): void {
  assertLittleEndianHost(file);
  const metadata = options.metadata ?? { format: 'pt' };
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new CheckpointError(file, `metadata '${key}' is not a string`, 'safetensors metadata maps strings to strings');
  }
  const integerDtype = options.integerDtype ?? 'I64';
  const items = [...tensors].map(([name, record]) => {
    checkRecord(file, name, record);
    const dtype: StoredDtype = record.dtype === 'float32' ? 'F32' : integerDtype;
    return { name, record, dtype };
  });
  const names = new Set<string>();
  for (const { name } of items) {
    if (names.has(name)) throw new CheckpointError(file, `cannot write tensor '${name}' twice`, 'give each tensor a unique name');
    names.add(name);
  }
  // Wider elements first keeps every tensor aligned to its element size; then by name, for stable files.
  items.sort((a, b) => BYTES_PER_ELEMENT[b.dtype] - BYTES_PER_ELEMENT[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  const bodies: Uint8Array[] = [];
  let offset = 0;
  for (const { name, record, dtype } of items) {
    const body =
      dtype === 'I64'
        ? int32ToInt64Bytes(record.data as Int32Array)
        : new Uint8Array(record.data.buffer, record.data.byteOffset, record.data.byteLength);
    header[name] = { dtype, shape: record.shape, data_offsets: [offset, offset + body.byteLength] };
    offset += body.byteLength;
    bodies.push(body);
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lengthField = Buffer.alloc(8);
  lengthField.writeBigUInt64LE(BigInt(headerBytes.byteLength));
  writeFileAtomic(file, [lengthField, headerBytes, ...bodies]);
}
