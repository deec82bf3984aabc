/** Errors the tensor layer raises for misuse a caller can fix. */
export class TensorError extends Error {
  override name = 'TensorError';
}

/** Two shapes that an op cannot combine. The message names the op and both shapes. */
export class ShapeError extends TensorError {
  override name = 'ShapeError';
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/** A tensor was used after dispose() released its storage. */
export class DisposedTensorError extends TensorError {
  override name = 'DisposedTensorError';
}

export const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
