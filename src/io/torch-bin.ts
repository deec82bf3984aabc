/**
 * pytorch_model.bin as written by torch.save (torch >= 1.6): a zip archive holding one folder
 * with `data.pkl` (the pickled state dict, whose tensors point at storages through persistent
 * ids), `data/<key>` (each storage's raw little-endian bytes) and `byteorder`. The pickle is
 * read by the restricted unpickler in pickle.ts with a whitelist of the globals a state dict
 * needs; anything else is refused before it could be called.
 */
import { readFileSync } from 'node:fs';
import { unzipSync, type Unzipped } from 'fflate';
import { BYTES_PER_ELEMENT, decodeElements, type StoredDtype } from './dtypes.js';
import { CheckpointError, UnsafePickleError } from './errors.js';
import { PickleCallable, PickleDict, unpickle } from './pickle.js';
import { elementCount, type TensorMap, type TensorRecord } from './record.js';

/** A torch storage class named by a GLOBAL (e.g. torch.FloatStorage); not callable. */
class StorageType {
  constructor(
    readonly qualifiedName: string,
    readonly dtype: StoredDtype,
  ) {}
}

const STORAGE_TYPES: Record<string, StoredDtype> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** One storage of the archive: `numel` elements of `dtype` in the entry data/<key>. */
interface Storage {
  key: string;
  dtype: StoredDtype;
  numel: number;
  bytes: Uint8Array;
}

/** A tensor view rebuilt from the pickle; its elements are copied out once its name is known. */
class RebuiltTensor {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly strides: number[],
  ) {}
}

/** The most elements one tensor may have (a typed array's length is limited too). */
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * How many bytes of dense tensors one byte of file may become. Widening reaches 4 (a byte storage
 * read as int32) and tied names copy their tensor again; only a stride-0 view expanding a small
 * storage, or one tensor under many names, goes further, and then a few bytes could ask for gigabytes.
 */
const MAX_BYTES_READ_PER_FILE_BYTE = 16;

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'a tuple' : 'a list';
  if (value instanceof PickleDict) return 'a dict';
  if (typeof value === 'object') return `a ${value.constructor.name}`;
  const text = JSON.stringify(value) ?? String(value);
  return `the ${typeof value} ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}

/**
 * Copies the elements a (possibly strided) view selects out of its storage into a dense,
 * row-major record. Torch strides are in elements and never negative.
 */
function materialize({ storage, offset, shape, strides }: RebuiltTensor, source: string, name: string): TensorRecord {
  const count = elementCount(shape);
  // Stride-0 (expanded) views could claim any size; refuse what no real checkpoint holds.
  if (!Number.isSafeInteger(count) || count > MAX_ELEMENTS) {
    throw new CheckpointError(source, `tensor '${name}' has shape [${shape.join(', ')}], more than the ${MAX_ELEMENTS} elements irlens can hold in one tensor`, 'the checkpoint is corrupt or not meant for irlens');
  }
  const size = BYTES_PER_ELEMENT[storage.dtype];
  if (count === 0) return { shape: [...shape], ...decodeElements(new Uint8Array(0), storage.dtype, 0, source, name) };
  // The furthest element the view touches must lie inside the storage.
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * strides[d]!;
  if (last >= storage.numel) {
    throw new CheckpointError(source, `tensor '${name}' reaches element ${last} of storage '${storage.key}', which has only ${storage.numel}`, 'the checkpoint is corrupt; download or export it again');
  }
  const span = decodeElements(storage.bytes.subarray(offset * size, (last + 1) * size), storage.dtype, last + 1 - offset, source, name);
  let contiguous = true;
  for (let d = shape.length - 1, expected = 1; d >= 0; d--) {
    if (shape[d]! !== 1 && strides[d]! !== expected) contiguous = false;
    expected *= shape[d]!;
  }
  if (contiguous) return { shape: [...shape], dtype: span.dtype, data: span.data };
  // Walk the view's indices in row-major order, odometer style.
  const data = span.dtype === 'float32' ? new Float32Array(count) : new Int32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  let at = 0;
  for (let i = 0; i < count; i++) {
    data[i] = span.data[at]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        at += strides[d]!;
        break;
      }
      at -= (shape[d]! - 1) * strides[d]!;
      index[d] = 0;
    }
  }
  return { shape: [...shape], dtype: span.dtype, data };
}

function readArchive(file: string): { entries: Unzipped; prefix: string; fileBytes: number } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointError(file, `cannot read the file (${code ?? (error as Error).message})`, 'check the path and its permissions');
  }
  if (bytes[0] === 0x80 && bytes.length > 1 && bytes[1]! <= 5) {
    throw new CheckpointError(
      file,
      'this is the legacy (pre-1.6) torch.save format, which irlens does not read',
      'load it in Python and re-save it with torch.save (torch >= 1.6) or as safetensors',
    );
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new CheckpointError(file, 'the file is not a zip archive, so not a torch.save checkpoint (truncated or another format)');
  }
  // torch stores entries uncompressed; refuse archives that would expand far beyond their size.
  const expansionLimit = 4 * bytes.length + 64 * 1024 * 1024;
  let expanded = 0;
  let entries: Unzipped;
  try {
    entries = unzipSync(bytes, {
      filter: (info) => {
        expanded += info.originalSize;
        if (expanded > expansionLimit) throw new Error(`the archive would expand to more than ${expansionLimit} bytes`);
        return true;
      },
    });
  } catch (error) {
    throw new CheckpointError(file, `the zip archive cannot be read (${(error as Error).message})`);
  }
  const pickles = Object.keys(entries).filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new CheckpointError(file, `the archive has ${pickles.length} '<folder>/data.pkl' entries where torch.save writes exactly one`);
  }
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const byteorder = entries[`${prefix}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new CheckpointError(file, 'the checkpoint was saved on a big-endian machine', 're-save it on a little-endian machine or as safetensors');
  }
  return { entries, prefix, fileBytes: bytes.length };
}

/**
 * Reads a torch.save zip checkpoint holding a state dict (name → tensor) into records. Views
 * (storage offsets, non-contiguous strides, shared storages) become dense copies.
 */
export function readTorchBin(file: string): TensorMap {
  const { entries, prefix, fileBytes } = readArchive(file);
  const source = `${file} (${prefix}data.pkl)`;
  const corrupt = (problem: string) => new CheckpointError(source, problem, 'the checkpoint is corrupt or is not a state dict saved by torch.save');
  const storages = new Map<string, Storage>();

  const loadStorage = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') throw corrupt(`unexpected persistent id ${describe(pid)}`);
    const [, type, key, , numel] = pid as unknown[];
    if (!(type instanceof StorageType)) throw corrupt(`a storage has type ${describe(type)} instead of a torch storage class`);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(key) || key.includes('..')) throw corrupt(`a storage has the key ${describe(key)}`);
    if (!isCount(numel)) throw corrupt(`storage '${key}' has size ${describe(numel)}`);
    const known = storages.get(key);
    if (known) {
      if (known.dtype !== type.dtype || known.numel !== numel) throw corrupt(`storage '${key}' is described twice, differently`);
      return known;
    }
    const bytes = entries[`${prefix}data/${key}`];
    if (!bytes) throw corrupt(`storage '${key}' has no entry data/${key} in the archive`);
    const needed = numel * BYTES_PER_ELEMENT[type.dtype];
    if (bytes.byteLength < needed) throw corrupt(`storage '${key}' has ${bytes.byteLength} bytes but ${numel} ${type.dtype} elements need ${needed}`);
    const storage: Storage = { key, dtype: type.dtype, numel, bytes: bytes.subarray(0, needed) };
    storages.set(key, storage);
    return storage;
  };

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  const rebuildTensor = (args: readonly unknown[]): RebuiltTensor => {
    const [storage, offset, shape, strides] = args;
    const isStorage = typeof storage === 'object' && storage !== null && storages.get((storage as Storage).key) === storage;
    if (args.length < 4 || !isStorage) throw corrupt('_rebuild_tensor_v2 is called without a storage');
    if (!isCount(offset)) throw corrupt(`a tensor has storage offset ${describe(offset)}`);
    if (!Array.isArray(shape) || !shape.every(isCount)) throw corrupt(`a tensor has size ${describe(shape)}`);
    if (!Array.isArray(strides) || strides.length !== shape.length || !strides.every(isCount)) throw corrupt(`a tensor has stride ${describe(strides)}`);
    return new RebuiltTensor(storage as Storage, offset, [...shape], [...strides]);
  };

  const callables = new Map<string, PickleCallable>();
  const allow = (qualifiedName: string, call: (args: readonly unknown[]) => unknown) => {
    callables.set(qualifiedName, new PickleCallable(qualifiedName, call));
  };
  allow('collections.OrderedDict', (args) => {
    if (args.length !== 0) throw corrupt('OrderedDict is called with arguments');
    return new PickleDict();
  });
  allow('torch._utils._rebuild_tensor_v2', rebuildTensor);
  allow('torch._utils._rebuild_tensor', rebuildTensor); // older name, same leading arguments
  // nn.Parameter wrappers: the tensor is the first argument; requires_grad/hooks do not matter here.
  const unwrapParameter = (args: readonly unknown[]) => {
    if (!(args[0] instanceof RebuiltTensor)) throw corrupt('_rebuild_parameter is called without a tensor');
    return args[0];
  };
  allow('torch._utils._rebuild_parameter', unwrapParameter);
  allow('torch._utils._rebuild_parameter_with_state', unwrapParameter);

  const findGlobal = (module: string, name: string): unknown => {
    const qualifiedName = `${module}.${name}`;
    const callable = callables.get(qualifiedName);
    if (callable) return callable;
    if (module === 'torch' && Object.hasOwn(STORAGE_TYPES, name)) return new StorageType(qualifiedName, STORAGE_TYPES[name]!);
    throw new UnsafePickleError(file, `${module} ${name}`);
  };

  const pickled = entries[`${prefix}data.pkl`]!;
  const root = unpickle(pickled, source, { findGlobal, persistentLoad: loadStorage });
  if (!(root instanceof PickleDict)) throw corrupt(`the pickle holds ${describe(root)}, not a state dict`);
  const tensors: TensorMap = new Map();
  const budget = MAX_BYTES_READ_PER_FILE_BYTE * fileBytes;
  let bytesRead = 0;
  for (const [name, value] of root) {
    if (typeof name !== 'string') throw corrupt(`the state dict has the key ${describe(name)}, not a parameter name`);
    if (!(value instanceof RebuiltTensor)) throw corrupt(`state dict entry '${name}' is ${describe(value)}, not a tensor`);
    // Every record holds 4-byte elements (float32 or int32).
    bytesRead += 4 * elementCount(value.shape);
    if (bytesRead > budget) {
      throw corrupt(
        `with tensor '${name}' (shape [${value.shape.join(', ')}]) the ${fileBytes}-byte file would become ${bytesRead} bytes of tensors, more than ${MAX_BYTES_READ_PER_FILE_BYTE} times its size; ` +
          'a view expands a small storage (stride 0) or one tensor is listed under many names, which irlens does not read',
      );
    }
    // Each name gets its own copy, also when two names share one tensor (tied weights).
    tensors.set(name, materialize(value, source, name));
  }
  return tensors;
}
