import type { Tensor } from './tensor.js';

/**
 * Scopes give tensors a lifetime. `tidy(fn)` disposes every tensor created while fn runs except
 * what fn returns and what the returned tensors' autograd graphs still need. On the CPU this
 * only frees memory sooner; on a device backend it is how memory is released at all.
 */
const scopes: Set<Tensor>[] = [];

export function trackInScope(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Keeps t alive past the enclosing tidy() scopes (for example a parameter made inside one). */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const survivors = reachable(tensorsIn(result));
  for (const t of scope) {
    if (survivors.has(t)) scopes[scopes.length - 1]?.add(t);
    else t.dispose();
  }
  return result;
}

/** Tensors held by a result: a tensor, or arrays / plain objects / Maps containing tensors. */
function tensorsIn(value: unknown, found: Tensor[] = [], seen = new Set<unknown>()): Tensor[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return found;
  seen.add(value);
  if (isTensor(value)) {
    found.push(value);
    if (value.grad) found.push(value.grad);
  } else if (Array.isArray(value)) {
    for (const v of value) tensorsIn(v, found, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) tensorsIn(v, found, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) tensorsIn(v, found, seen);
  }
  return found;
}

function isTensor(value: object): value is Tensor {
  return 'gradNode' in value && 'shape' in value && 'dispose' in value;
}

/** The given tensors and everything their autograd graphs reach. */
function reachable(roots: Tensor[]): Set<Tensor> {
  const out = new Set<Tensor>();
  const stack = [...roots];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (out.has(t)) continue;
    out.add(t);
    for (const input of t.gradNode?.inputs ?? []) stack.push(input);
  }
  return out;
}
