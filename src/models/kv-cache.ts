/**
 * Keys and values of the positions a causal LM has already seen, per layer, so that generation
 * feeds only the new tokens. Tensors are [batch, kvHeads, t, headDim]; they are detached and kept
 * out of tidy() scopes, and the cache releases them when it grows or is disposed.
 *
 * By default each extend() copies the past and the new positions into a new tensor. For
 * token-by-token decoding, reserve(n) instead makes room for n more positions once: each later
 * extend() writes its one new position in place and returns the whole reserved span, whose
 * positions not yet written the caller's attention mask must hide (see reserve()).
 */
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { ModelInputError } from './errors.js';

export class KVCache {
  private readonly keys: (Tensor | null)[];
  private readonly values: (Tensor | null)[];
  /** Positions written, per layer (they differ only in the middle of a forward pass). */
  private readonly written: number[];
  /** Positions each layer's tensors hold, written or reserved. */
  private span = 0;
  private reserved = false;

  constructor(readonly numLayers: number) {
    this.keys = new Array<Tensor | null>(numLayers).fill(null);
    this.values = new Array<Tensor | null>(numLayers).fill(null);
    this.written = new Array<number>(numLayers).fill(0);
  }

  /** Positions cached so far. */
  get length(): number {
    return this.written[0] ?? 0;
  }

  /** Positions the returned keys and values cover: length, or more once room is reserved. */
  get capacity(): number {
    return this.reserved ? this.span : this.length;
  }

  /**
   * Appends a layer's new keys and values; returns the full keys and values to attend over:
   * [batch, kvHeads, capacity, headDim]. Without reserved room that is exactly the positions
   * written so far; with it, the whole reserved span, of which the positions after the ones
   * written so far are zeros that the attention mask must hide.
   */
  extend(layer: number, key: Tensor, value: Tensor): { key: Tensor; value: Tensor } {
    if (this.reserved) return this.writeInPlace(layer, key, value);
    const pastKey = this.keys[layer] ?? null;
    const pastValue = this.values[layer] ?? null;
    const fullKey = pastKey ? T.concat([pastKey, key.detach()], 2) : key.detach();
    const fullValue = pastValue ? T.concat([pastValue, value.detach()], 2) : value.detach();
    pastKey?.dispose();
    pastValue?.dispose();
    this.keys[layer] = T.keep(fullKey);
    this.values[layer] = T.keep(fullValue);
    this.written[layer] = fullKey.shape[2]!;
    this.span = fullKey.shape[2]!;
    return { key: fullKey, value: fullValue };
  }

  /**
   * Makes room for `positions` more positions in every layer (one copy now instead of one per
   * step). From then on each extend() must add exactly one position, which is written in place,
   * and returns all length + room positions: the attention mask must then be `capacity` wide,
   * with 0 for every position not yet written, and position ids must be given explicitly. For
   * inference: gradients do not flow into the reserved tensors.
   */
  reserve(positions: number): void {
    if (!Number.isSafeInteger(positions) || positions < 0) {
      throw new ModelInputError('KVCache', `reserve() takes a non-negative number of positions, got ${positions}`);
    }
    const first = this.keys[0];
    if (!first || this.written.some((w) => w !== this.length)) {
      throw new ModelInputError('KVCache', 'reserve() needs a filled cache: run the prompt through the model first, then reserve room for the new tokens');
    }
    const [batch, heads, past, headDim] = first.shape as [number, number, number, number];
    const span = this.capacity + positions;
    // On the backend: the positions held so far, then zeros for the room (nothing read on the host).
    const grow = (t: Tensor): Tensor => {
      const grown = T.noGrad(() => T.tidy(() => T.concat([t, T.zeros([batch, heads, span - past, headDim], false, t.backend)], 2)));
      t.dispose();
      return T.keep(grown);
    };
    for (let layer = 0; layer < this.numLayers; layer++) {
      this.keys[layer] = grow(this.keys[layer]!);
      this.values[layer] = grow(this.values[layer]!);
    }
    this.span = span;
    this.reserved = true;
  }

  private writeInPlace(layer: number, key: Tensor, value: Tensor): { key: Tensor; value: Tensor } {
    const full = { key: this.keys[layer]!, value: this.values[layer]! };
    const [batch, heads, span, headDim] = full.key.shape as [number, number, number, number];
    const at = this.written[layer]!;
    if (key.shape.join() !== [batch, heads, 1, headDim].join() || value.shape.join() !== key.shape.join()) {
      throw new ModelInputError('KVCache', `with reserved room, each step must add one position of [${batch}, ${heads}, 1, ${headDim}], got keys [${key.shape.join(', ')}] and values [${value.shape.join(', ')}]`);
    }
    if (at >= span) throw new ModelInputError('KVCache', `all ${span} positions are written; reserve() more room before feeding more tokens`);
    // Adds each row's new position into the reserved zeros on the backend, as concat does: the
    // sum is the new value itself.
    for (const [source, target] of [[key, full.key], [value, full.value]] as const) {
      T.backendOf('KVCache', source, target).stridedAccumulate(source.buffer, target.buffer, at * headDim, [span * headDim, 1], [batch * heads, headDim]);
    }
    this.written[layer] = at + 1;
    return full;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
    this.written.fill(0);
    this.span = 0;
    this.reserved = false;
  }
}
