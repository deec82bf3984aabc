import type { Backend, IdStorage, Storage } from './backend.js';
import { DisposedTensorError, TensorError, formatShape } from './errors.js';
import { backendOf } from './dispatch.js';
import { onDevice, readHost, readHostIds } from './host.js';
import { keep, tidy, trackInScope } from './scope.js';

export type DType = 'float32' | 'int32';

/**
 * How a tensor was made: the op, its inputs, and the function that maps the output's gradient
 * to one gradient per input (null where an input gets none). Ops keep whatever they need for the
 * backward inside the closure: inputs, the output, or raw buffers — never other tensors.
 */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  backward(grad: Tensor): (Tensor | null)[];
  /** Backend buffers that only the backward reads, released with the graph (see record.ts). */
  saved?: (Storage | IdStorage)[];
}

let gradEnabled = true;

/**
 * How many live tensors use each storage (reshape and detach share one). The last dispose()
 * hands the storage back to the backend, which frees it now if it allocated it.
 */
const storageUsers = new WeakMap<Storage | IdStorage, number>();

/** Runs fn without recording the autograd graph (inference, optimizer steps, backward itself). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export const isGradEnabled = (): boolean => gradEnabled;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A new zero-filled float32 tensor of `shape` on `backend`: an output or gradient its kernel adds into. */
export const allocateTensor = (backend: Backend, shape: readonly number[]): Tensor =>
  new Tensor(backend.allocate(sizeOf(shape)), shape, backend);

/** A new float32 tensor of `shape` on `backend` with unspecified values: an output or gradient its kernel writes in full. */
export const outputTensor = (backend: Backend, shape: readonly number[]): Tensor =>
  new Tensor(backend.allocateUninitialized(sizeOf(shape)), shape, backend);

/** A dense, row-major n-dimensional array with define-by-run autograd. */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** When true, backward() fills `grad` for this tensor (if it is a leaf) and its ancestors. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf tensor; null until a backward reaches it. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, or null for a leaf. */
  gradNode: GradNode | null = null;
  /** Optional name used in error messages (parameters carry their dotted name). */
  name: string | undefined;
  /** The backend that made the storage, whose kernels the tensor's ops run on, and that frees it. */
  readonly backend: Backend;
  private storage: Storage | IdStorage | null;

  /**
   * Wraps storage that `backend` made (host values come in through tensor(), idTensor() and the
   * other functions of create.ts). dtype says what the storage holds: float32 Storage or int32
   * IdStorage.
   */
  constructor(storage: Storage | IdStorage, shape: readonly number[], backend: Backend,
    options: { dtype?: DType; requiresGrad?: boolean } = {}) {
    const n = sizeOf(shape);
    if (storage.length !== n) {
      throw new TensorError(`Tensor: ${storage.length} values cannot have shape ${formatShape(shape)} (${n} values)`);
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new TensorError(`Tensor: bad dimension ${d} in shape ${formatShape(shape)}`);
    }
    this.storage = storage;
    this.backend = backend;
    storageUsers.set(storage, (storageUsers.get(storage) ?? 0) + 1);
    this.shape = Object.freeze([...shape]);
    this.dtype = options.dtype ?? 'float32';
    this.requiresGrad = options.requiresGrad ?? false;
    if (this.requiresGrad && this.dtype !== 'float32') throw new TensorError('Tensor: only float32 tensors can require gradients');
    trackInScope(this);
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storage === null;
  }

  /**
   * The float32 storage as a kernel argument: for ops and optimizers to hand to the backend, never
   * to read on the host (use `data`). Throws if the tensor holds ids or was disposed.
   */
  get buffer(): Storage {
    const s = this.liveStorage();
    if (this.dtype !== 'float32') throw new TensorError(`${this.describe()} holds int32 ids, not float32 values`);
    return s as Storage;
  }

  /** The int32 storage of an id tensor as a kernel argument (see `buffer`). */
  get idBuffer(): IdStorage {
    const s = this.liveStorage();
    if (this.dtype !== 'int32') throw new TensorError(`${this.describe()} holds float32 values, not int32 ids`);
    return s as IdStorage;
  }

  /** The float32 values on the host: a host read (see host.ts), for step boundaries only. */
  get data(): Float32Array {
    return readHost(this.buffer, this);
  }

  /** The int32 ids on the host: a host read (see host.ts). */
  get ids(): Int32Array {
    return readHostIds(this.idBuffer, this);
  }

  /**
   * Releases the storage now instead of waiting for the garbage collector (once no other live
   * tensor shares it). Using the tensor afterwards is an error.
   */
  dispose(): void {
    const storage = this.storage;
    this.storage = null;
    this.dropGraph();
    if (storage === null) return;
    const users = (storageUsers.get(storage) ?? 1) - 1;
    if (users > 0) {
      storageUsers.set(storage, users);
      return;
    }
    storageUsers.delete(storage);
    this.backend.release(storage);
  }

  /** Forgets how this tensor was made, releasing the buffers its backward would have read. */
  dropGraph(): void {
    for (const buffer of this.gradNode?.saved ?? []) this.backend.release(buffer);
    this.gradNode = null;
  }

  /** A new leaf tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.liveStorage(), this.shape, this.backend, { dtype: this.dtype });
  }

  /** The one value of a scalar tensor, read on the host. */
  item(): number {
    if (this.size !== 1) throw new TensorError(`item(): ${this.describe()} has ${this.size} elements, not 1`);
    return this.hostValues()[0]!;
  }

  /** The values read on the host, as a plain array. */
  toArray(): number[] {
    return Array.from(this.hostValues());
  }

  describe(): string {
    return `tensor${this.name ? ` '${this.name}'` : ''} of shape ${formatShape(this.shape)}`;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  /**
   * Back-propagates from this tensor. Without an argument the tensor must hold one element
   * (a loss); otherwise pass the gradient of the final objective with respect to this tensor.
   */
  backward(grad?: Tensor): void {
    if (!grad && this.size !== 1) {
      throw new TensorError(
        `backward(): ${this.describe()} is not a scalar; pass its gradient (backward(grad)) or reduce it to a scalar first (e.g. mean())`,
      );
    }
    if (grad && grad.shape.join() !== this.shape.join()) {
      throw new TensorError(`backward(): gradient of shape ${formatShape(grad.shape)} does not match ${this.describe()}`);
    }
    if (!this.requiresGrad) {
      throw new TensorError(`backward(): ${this.describe()} does not require gradients; no input of its graph had requiresGrad = true`);
    }
    if (grad) {
      // An op's inputs share one backend, so the whole graph does: the gradient must join it.
      backendOf('backward', this, grad);
      runBackward(this, grad);
      return;
    }
    const seed = seedGradient(this);
    try {
      runBackward(this, seed);
    } finally {
      seed.dispose();
    }
  }

  private hostValues(): Float32Array | Int32Array {
    return this.dtype === 'int32' ? this.ids : this.data;
  }

  private liveStorage(): Storage | IdStorage {
    if (this.storage === null) {
      throw new DisposedTensorError(`${this.describe()} was used after dispose() released its storage`);
    }
    return this.storage;
  }
}

/** The gradients of 1 that backward() starts from when given none (see isSeedGradient). */
const seeds = new WeakSet<Tensor>();

function seedGradient(root: Tensor): Tensor {
  const seed = new Tensor(root.backend.fromHost(new Float32Array([1])), root.shape, root.backend);
  seeds.add(seed);
  return seed;
}

/**
 * True for the gradient of 1 that a loss's backward() starts from: a fused loss whose gradient
 * was made in the forward can use it as it is, without reading the gradient on the host.
 */
export const isSeedGradient = (g: Tensor): boolean => seeds.has(g);

/** Depth-first topological order of the graph below root (inputs before the tensors made from them). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (visited.has(t)) continue;
    visited.add(t);
    stack.push([t, true]);
    for (const input of t.gradNode?.inputs ?? []) {
      if (input.requiresGrad && !visited.has(input)) stack.push([input, false]);
    }
  }
  return order;
}

function runBackward(root: Tensor, rootGrad: Tensor): void {
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, rootGrad]]);
  // Intermediate gradients are freed as soon as nothing waits for them: `uses` counts the graph
  // tensors whose pending gradient is each one (an op may pass one gradient to several inputs).
  const uses = new Map<Tensor, number>([[rootGrad, 1]]);
  const hold = (g: Tensor) => uses.set(g, (uses.get(g) ?? 0) + 1);
  const drop = (g: Tensor) => {
    const left = (uses.get(g) ?? 1) - 1;
    if (left > 0) uses.set(g, left);
    else {
      uses.delete(g);
      if (g !== rootGrad) g.dispose();
    }
  };
  noGrad(() => onDevice('backward', () => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const g = grads.get(t);
      grads.delete(t);
      if (!g) continue;
      const node = t.gradNode;
      if (!node) {
        // A gradient only this leaf waits for becomes its .grad as it is, without a copy.
        const adopted = g !== rootGrad && uses.get(g) === 1 && adoptLeafGrad(t, g);
        if (adopted) uses.delete(g);
        else {
          accumulateLeafGrad(t, g);
          drop(g);
        }
        continue;
      }
      // A scope per node frees the backward's own temporaries (sums of broadcast gradients).
      const inputGrads = tidy(() => node.backward(g));
      node.inputs.forEach((input, j) => {
        const ig = inputGrads[j];
        if (!ig || !input.requiresGrad) return;
        if (ig.shape.join() !== input.shape.join()) {
          throw new TensorError(`internal: ${node.op} backward gave gradient ${formatShape(ig.shape)} for input ${formatShape(input.shape)}`);
        }
        hold(ig);
        const existing = grads.get(input);
        if (!existing) {
          grads.set(input, ig);
          return;
        }
        // Add in place when nothing else holds the pending gradient; otherwise into a new one.
        if (existing !== rootGrad && uses.get(existing) === 1 && storageUsers.get(existing.buffer) === 1) {
          backendOf('backward', existing, ig).addInto(existing.buffer, ig.buffer);
        } else {
          const sum = copyOf(existing);
          backendOf('backward', sum, ig).addInto(sum.buffer, ig.buffer);
          hold(sum);
          grads.set(input, sum);
          drop(existing);
        }
        drop(ig);
      });
      drop(g);
      // The graph is used once, as in PyTorch without retain_graph: let its buffers go.
      t.dropGraph();
    }
  }));
}

function copyOf(t: Tensor): Tensor {
  const out = t.backend.allocate(t.size);
  t.backend.stridedCopy(t.buffer, 0, [1], [t.size], out);
  return new Tensor(out, t.shape, t.backend);
}

/** Makes g the leaf's gradient when the leaf has none to add to and nothing else shares g's storage. */
function adoptLeafGrad(leaf: Tensor, g: Tensor): boolean {
  const fresh = !leaf.grad || leaf.grad.isDisposed;
  if (!fresh || storageUsers.get(g.buffer) !== 1) return false;
  leaf.grad = keep(g);
  return true;
}

function accumulateLeafGrad(leaf: Tensor, g: Tensor): void {
  if (leaf.grad && !leaf.grad.isDisposed) {
    backendOf('backward', leaf.grad, g).addInto(leaf.grad.buffer, g.buffer);
    return;
  }
  // A leaf's gradient outlives any tidy() scope the backward ran in, like the leaf itself.
  leaf.grad = keep(copyOf(g));
}
