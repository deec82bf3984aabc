import type { GemmArgs, Storage } from '../backend.js';
import { backendOf } from '../dispatch.js';
import { ShapeError, formatShape } from '../errors.js';
import { record } from '../record.js';
import { Tensor, outputTensor, sizeOf } from '../tensor.js';
import { sumToShape } from './arithmetic.js';

export interface MatmulOptions {
  /** Use the transpose of a's last two dimensions. */
  transA?: boolean;
  /** Use the transpose of b's last two dimensions (a Linear layer's x·Wᵀ). */
  transB?: boolean;
}

/**
 * Batched matrix product op(a) @ op(b) over the last two dimensions. Batch dimensions must be
 * equal, or one operand may be 2-D and is then shared by every batch item (a weight matrix).
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (a.rank < 2 || b.rank < 2) throw new ShapeError('matmul', `needs tensors of rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [kb, n] = transB ? [bc, br] : [br, bc];
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const describe = () => `${formatShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${formatShape(b.shape)}${transB ? 'ᵀ' : ''}`;
  if (k !== kb) throw new ShapeError('matmul', `inner dimensions differ in ${describe()} (${k} vs ${kb})`);
  if (batchA.length > 0 && batchB.length > 0 && batchA.join() !== batchB.join()) {
    throw new ShapeError('matmul', `batch dimensions differ in ${describe()}; they must be equal or one operand must be 2-D`);
  }
  const batchShape = batchA.length > 0 ? batchA : batchB;
  const batch = sizeOf(batchShape);
  const outShape = [...batchShape, m, n];
  const backend = backendOf('matmul', a, b);
  const out = outputTensor(backend, outShape);

  // A batch of a against one shared b is a single product with the batch folded into the rows.
  const foldIntoRows = batchB.length === 0 && !transA;
  const gemm = (x: Storage, y: Storage, z: Storage, args: Partial<GemmArgs> & Pick<GemmArgs, 'm' | 'n' | 'k' | 'transA' | 'transB'>) =>
    backend.gemm(x, y, z, { batch: 1, strideA: 0, strideB: 0, accumulate: false, ...args });

  if (foldIntoRows) gemm(a.buffer, b.buffer, out.buffer, { m: batch * m, n, k, transA, transB });
  else gemm(a.buffer, b.buffer, out.buffer, { batch, m, n, k, transA, transB, strideA: batchA.length ? m * k : 0, strideB: batchB.length ? k * n : 0 });

  return record('matmul', [a, b], out, (g) => {
    let dA: Tensor | null = null;
    let dB: Tensor | null = null;
    if (a.requiresGrad) {
      // dA = g · op(b)ᵀ, or its transpose when a was used transposed.
      const full = backend.allocateUninitialized(batch * m * k);
      const stride = { strideA: batch > 1 ? m * n : 0, strideB: batchB.length ? k * n : 0 };
      if (foldIntoRows) gemm(g.buffer, b.buffer, full, { m: batch * m, n: k, k: n, transA: false, transB: !transB });
      else if (!transA) gemm(g.buffer, b.buffer, full, { batch, m, n: k, k: n, transA: false, transB: !transB, ...stride });
      else gemm(b.buffer, g.buffer, full, { batch, m: k, n: m, k: n, transA: transB, transB: true, strideA: stride.strideB, strideB: stride.strideA });
      dA = sumToShape(new Tensor(full, [...batchShape, ...a.shape.slice(-2)], backend), a.shape);
    }
    if (b.requiresGrad) {
      // dB = op(a)ᵀ · g, or its transpose when b was used transposed; summed over a shared b's batch.
      const rowsK = foldIntoRows ? batch * m : m;
      const dBatch = foldIntoRows ? 1 : batch;
      const full = backend.allocateUninitialized(dBatch * k * n);
      const stride = { strideA: batchA.length && !foldIntoRows ? m * k : 0, strideB: dBatch > 1 ? m * n : 0 };
      if (!transB) gemm(a.buffer, g.buffer, full, { batch: dBatch, m: k, n, k: rowsK, transA: !transA, transB: false, ...stride });
      else gemm(g.buffer, a.buffer, full, { batch: dBatch, m: n, n: k, k: rowsK, transA: true, transB: transA, strideA: stride.strideB, strideB: stride.strideA });
      dB = sumToShape(new Tensor(full, [...(dBatch > 1 ? batchShape : []), ...b.shape.slice(-2)], backend), b.shape);
    }
    return [dA, dB];
  });
}
