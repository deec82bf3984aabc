/**
 * Linear probes: the backbone frozen, its pooled features computed once for every text and kept,
 * and only the score head trained on them. One cache serves every seed and every epoch, so an
 * epoch costs a matrix–vector product per batch instead of a pass through the backbone; and
 * scoring texts with any head on that backbone costs the same.
 */
import type { Linear } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import {
  SCORE_BATCH_SIZE, checkTokenPooling, isTokenPooling, lengthSortedBatches, padRows, scoreFeatures, scoreInBatches, scoreTokens, type Pooling, type RewardModel, type RowScorer, type TokenBatch,
} from './reward-model.js';

/** poolFeatures of each text under a frozen backbone: a [hidden] vector per text, or [length, hidden] for the token poolings. */
export class FeatureCache {
  private constructor(
    readonly pooling: Pooling,
    readonly hiddenSize: number,
    private readonly features: Float32Array[],
    private readonly lengths: number[],
  ) {}

  /** Runs the model's backbone once over the rows (eval mode, no gradients); host reads once per batch. */
  static build(model: RewardModel, rows: readonly (readonly number[])[], batchSize = SCORE_BATCH_SIZE): FeatureCache {
    const { pooling } = model;
    const size = model.classifier.config.hiddenSize;
    const perToken = isTokenPooling(pooling);
    const features = new Array<Float32Array>(rows.length);
    const wasTraining = model.classifier.training;
    model.classifier.eval();
    try {
      for (const indices of lengthSortedBatches(rows, batchSize)) {
        const chunk = indices.map((i) => rows[i]!);
        const batch = T.noGrad(() => T.tidy(() => model.features(padRows(chunk, model.padId))));
        // Token features are [rows, t, hidden]: each row keeps its real tokens' states only.
        const stride = perToken ? batch.shape[1]! * size : size;
        const values = batch.data; // one host read per batch, not one per row
        chunk.forEach((row, r) => (features[indices[r]!] = values.slice(r * stride, r * stride + (perToken ? row.length : 1) * size)));
        batch.dispose();
      }
    } finally {
      model.classifier.train(wasTraining);
    }
    return new FeatureCache(pooling, size, features, rows.map((row) => row.length));
  }

  get size(): number {
    return this.features.length;
  }

  /** The cached features of some rows as one tensor, with the batch (mask, lengths) scoreFeatures needs. */
  batch(indices: readonly number[]): { features: Tensor; batch: TokenBatch } {
    const size = this.hiddenSize;
    const lengths = indices.map((i) => this.lengths[i]!);
    const batch = padRows(lengths.map((n) => new Array<number>(n).fill(0)), 0);
    if (!isTokenPooling(this.pooling)) {
      const data = new Float32Array(indices.length * size);
      indices.forEach((i, r) => data.set(this.features[i]!, r * size));
      return { features: T.tensor(data, [indices.length, size]), batch };
    }
    const t = Math.max(...lengths);
    const data = new Float32Array(indices.length * t * size);
    indices.forEach((i, r) => data.set(this.features[i]!, r * t * size));
    return { features: T.tensor(data, [indices.length, t, size]), batch };
  }
}

/** The score head read on cached features: trains exactly as the head on a frozen live backbone would. */
export class LinearProbe implements RowScorer {
  constructor(
    readonly head: Linear,
    readonly cache: FeatureCache,
  ) {}

  scores(indices: readonly number[]): Tensor {
    const { features, batch } = this.cache.batch(indices);
    return scoreFeatures(features, batch, this.cache.pooling, this.head);
  }

  tokenScores(indices: readonly number[]): { scores: Tensor; batch: TokenBatch } {
    checkTokenPooling(this.cache.pooling, 'scoring each token');
    const { features, batch } = this.cache.batch(indices);
    return { scores: scoreTokens(features, this.head), batch };
  }
}

type Rows = readonly (readonly number[])[];

/**
 * The FeatureCaches of one frozen backbone: built on first use per (pooling, list of rows), the
 * rows known by identity, and kept until released. Every model that asks must have that backbone
 * unchanged (a copy of the same base LM, never trained): every seed of a probe, an untrained head.
 * Host memory: a [hidden] vector per text, or [tokens, hidden] per text for the token poolings.
 */
export class FrozenFeatures {
  private readonly caches = new Map<Pooling, Map<Rows, FeatureCache>>();

  /** The features of rows under the model's pooling, built from the model's backbone the first time. */
  of(model: RewardModel, rows: Rows): FeatureCache {
    const byRows = this.caches.get(model.pooling) ?? new Map<Rows, FeatureCache>();
    this.caches.set(model.pooling, byRows);
    const cache = byRows.get(rows) ?? FeatureCache.build(model, rows);
    byRows.set(rows, cache);
    return cache;
  }

  /** model.scoreRows(rows) read from the cached features: the same batches, padded alike, so the same numbers. */
  scoreRows(model: RewardModel, rows: Rows): number[] {
    const probe = new LinearProbe(model.head, this.of(model, rows));
    return scoreInBatches(rows, SCORE_BATCH_SIZE, (indices) => probe.scores(indices));
  }

  /** Forgets a pooling's features once no model will ask for them. */
  release(pooling: Pooling): void {
    this.caches.delete(pooling);
  }
}
