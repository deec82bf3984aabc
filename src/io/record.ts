/**
 * A raw tensor as read from or written to a checkpoint: dense, row-major, little-endian in files.
 * Floating dtypes (F16, BF16, F64, ...) are widened/narrowed to float32 and integer dtypes to
 * int32 on read; the models layer wraps records into Tensors.
 */
export interface TensorRecord {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Parameter name → tensor, in the order the file lists them. */
export type TensorMap = Map<string, TensorRecord>;

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
