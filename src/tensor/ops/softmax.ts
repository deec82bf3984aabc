import { record } from '../record.js';
import { normalizeAxis } from '../shape.js';
import { type Tensor, outputTensor } from '../tensor.js';
import { transpose } from './view.js';

function softmaxLastAxis(x: Tensor, log: boolean): Tensor {
  const cols = x.shape[x.rank - 1]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  const backend = x.backend;
  const out = outputTensor(backend, x.shape);
  backend.softmax(x.buffer, rows, cols, out.buffer, log);
  return record(log ? 'logSoftmax' : 'softmax', [x], out, (g) => {
    const dx = outputTensor(backend, x.shape);
    backend.softmaxBackward(out.buffer, g.buffer, rows, cols, dx.buffer, log);
    return [dx];
  });
}

function alongAxis(x: Tensor, axis: number, log: boolean, op: string): Tensor {
  const a = normalizeAxis(op, axis, x.rank);
  if (a === x.rank - 1) return softmaxLastAxis(x, log);
  return transpose(softmaxLastAxis(transpose(x, a, -1), log), a, -1);
}

/** exp(x) / Σ exp(x) along an axis (the last by default). */
export const softmax = (x: Tensor, axis = -1): Tensor => alongAxis(x, axis, false, 'softmax');
/** x − log Σ exp(x) along an axis, computed stably. */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => alongAxis(x, axis, true, 'logSoftmax');
