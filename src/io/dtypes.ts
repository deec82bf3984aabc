import { endianness } from 'node:os';
import { CheckpointError } from './errors.js';
import type { TensorRecord } from './record.js';

/** Element types irlens can read from a checkpoint, named as safetensors names them. */
export type StoredDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

export const BYTES_PER_ELEMENT: Readonly<Record<StoredDtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1,
};

export const STORED_DTYPES = Object.keys(BYTES_PER_ELEMENT) as StoredDtype[];

export const isStoredDtype = (name: string): name is StoredDtype => Object.hasOwn(BYTES_PER_ELEMENT, name);

// Every format we read stores little-endian bytes; typed-array views use the host's order.
const hostIsLittleEndian = endianness() === 'LE';

export function assertLittleEndianHost(file: string): void {
  if (!hostIsLittleEndian) {
    throw new CheckpointError(file, 'this machine is big-endian and irlens reads little-endian checkpoints only', 'run irlens on a little-endian machine (x86-64, arm64)');
  }
}

let halfTable: Float32Array | undefined;

/** All 65536 float16 bit patterns as float32 (each is exactly representable), built on first use. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    let value: number;
    if (exponent === 0) value = mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 31) value = mantissa ? NaN : Infinity;
    else value = (1 + mantissa / 1024) * 2 ** (exponent - 15);
    halfTable[bits] = sign * value;
  }
  return halfTable;
}

/** A view of `bytes` as T, copying first when the bytes are not aligned for T. */
function aligned(bytes: Uint8Array, elementSize: number): Uint8Array {
  return bytes.byteOffset % elementSize === 0 ? bytes : bytes.slice();
}

/**
 * Decodes `count` little-endian elements of `dtype` into a record's data: floating types become
 * float32, integer types int32 (an int64 outside the int32 range is refused, naming `name`).
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: StoredDtype,
  count: number,
  file: string,
  name: string,
): Pick<TensorRecord, 'dtype' | 'data'> {
  assertLittleEndianHost(file);
  const size = BYTES_PER_ELEMENT[dtype];
  if (bytes.byteLength !== count * size) {
    throw new CheckpointError(file, `tensor '${name}' has ${bytes.byteLength} bytes but ${count} ${dtype} elements need ${count * size}`);
  }
  const raw = aligned(bytes, size);
  const buffer = raw.buffer;
  const at = raw.byteOffset;
  switch (dtype) {
    case 'F32':
      // Copy so that the record owns its memory (the source may be a shared file buffer).
      return { dtype: 'float32', data: new Float32Array(buffer.slice(at, at + count * 4)) };
    case 'F64':
      return { dtype: 'float32', data: Float32Array.from(new Float64Array(buffer, at, count)) };
    case 'F16': {
      const table = halfToFloatTable();
      const halves = new Uint16Array(buffer, at, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[halves[i]!]!;
      return { dtype: 'float32', data: out };
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const halves = new Uint16Array(buffer, at, count);
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = halves[i]! << 16;
      return { dtype: 'float32', data: new Float32Array(out.buffer) };
    }
    case 'I64': {
      const words = new Int32Array(buffer, at, count * 2);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const low = words[2 * i]!;
        const high = words[2 * i + 1]!;
        // Fits in int32 exactly when the high word is the sign extension of the low word.
        if (high !== low >> 31) {
          const value = new BigInt64Array(buffer, at + 8 * i, 1)[0];
          throw new CheckpointError(
            file,
            `tensor '${name}' is int64 and element ${i} is ${value}, outside the int32 range irlens uses for integer tensors`,
            'store ids and other integers that fit in int32, or convert this tensor before loading',
          );
        }
        out[i] = low;
      }
      return { dtype: 'int32', data: out };
    }
    case 'I32':
      return { dtype: 'int32', data: new Int32Array(buffer.slice(at, at + count * 4)) };
    case 'I16':
      return { dtype: 'int32', data: Int32Array.from(new Int16Array(buffer, at, count)) };
    case 'U16':
      return { dtype: 'int32', data: Int32Array.from(new Uint16Array(buffer, at, count)) };
    case 'I8':
      return { dtype: 'int32', data: Int32Array.from(new Int8Array(buffer, at, count)) };
    case 'U8':
    case 'BOOL':
      return { dtype: 'int32', data: Int32Array.from(new Uint8Array(buffer, at, count)) };
  }
}

/** Little-endian int64 bytes of int32 values (sign-extended), for writing ids as torch.long. */
export function int32ToInt64Bytes(values: Int32Array): Uint8Array {
  const words = new Int32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    words[2 * i] = values[i]!;
    words[2 * i + 1] = values[i]! >> 31;
  }
  return new Uint8Array(words.buffer);
}
