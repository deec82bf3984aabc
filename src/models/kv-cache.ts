/**
 * Keys and values of the positions a causal LM has already seen, per layer, so that generation
 * feeds only the new tokens. Tensors are [batch, kvHeads, t, headDim]; they are detached and kept
 * out of tidy() scopes, and the cache releases them when it grows or is disposed.
 */
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

export class KVCache {
  private readonly keys: (Tensor | null)[];
  private readonly values: (Tensor | null)[];

  constructor(readonly numLayers: number) {
    this.keys = new Array<Tensor | null>(numLayers).fill(null);
    this.values = new Array<Tensor | null>(numLayers).fill(null);
  }

  /** Positions cached so far. */
  get length(): number {
    return this.keys[0]?.shape[2] ?? 0;
  }

  /** Appends a layer's new keys and values; returns the full keys and values to attend over. */
  extend(layer: number, key: Tensor, value: Tensor): { key: Tensor; value: Tensor } {
    const pastKey = this.keys[layer] ?? null;
    const pastValue = this.values[layer] ?? null;
    const fullKey = pastKey ? T.concat([pastKey, key.detach()], 2) : key.detach();
    const fullValue = pastValue ? T.concat([pastValue, value.detach()], 2) : value.detach();
    pastKey?.dispose();
    pastValue?.dispose();
    this.keys[layer] = T.keep(fullKey);
    this.values[layer] = T.keep(fullValue);
    return { key: fullKey, value: fullValue };
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
  }
}
