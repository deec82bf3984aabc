/**
 * Wraps a reward so each distinct text is scored once: scores are kept by the SHA-256 of the
 * text, so re-scoring the same demonstrations (evaluation, shaped rewards, resumed runs) is cheap.
 */
import { createHash } from 'node:crypto';
import type { RewardFunction, RewardScores } from './reward.js';

export class CachedReward implements RewardFunction {
  readonly name: string;
  private readonly cache = new Map<string, number>();
  private metadata: Record<string, unknown> = {};

  constructor(private readonly base: RewardFunction) {
    this.name = base.name;
  }

  /** Texts scored by the underlying reward so far (cache misses). */
  get size(): number {
    return this.cache.size;
  }

  score(texts: readonly string[]): RewardScores {
    const keys = texts.map(textHash);
    // Each distinct text not yet scored, once.
    const missing = new Map<string, string>();
    keys.forEach((key, i) => {
      if (!this.cache.has(key)) missing.set(key, texts[i]!);
    });
    if (missing.size > 0) {
      const fresh = this.base.score([...missing.values()]);
      [...missing.keys()].forEach((key, i) => this.cache.set(key, fresh.scores[i]!));
      this.metadata = fresh.metadata;
    }
    return { scores: keys.map((key) => this.cache.get(key)!), metadata: { ...this.metadata, cached: true } };
  }
}

export const textHash = (text: string): string => createHash('sha256').update(text).digest('hex');
