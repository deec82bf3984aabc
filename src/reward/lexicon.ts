/**
 * A reward from a weighted word list: each occurrence of a listed word costs its weight, so the
 * score is −Σ weight(word) over the text's words. Transparent and instant, for tests and the
 * demo world; matching is by whole lower-cased words.
 */
import { RewardError, type RewardFunction, type RewardScores } from './reward.js';

export class LexiconReward implements RewardFunction {
  readonly name = 'lexicon';
  private readonly weights: Map<string, number>;

  constructor(weights: Record<string, number> | Map<string, number>) {
    this.weights = new Map([...(weights instanceof Map ? weights : Object.entries(weights))].map(([w, v]) => [w.toLowerCase(), v]));
    for (const [word, weight] of this.weights) {
      if (!Number.isFinite(weight)) throw new RewardError(`lexicon weight of "${word}" is ${weight}; weights must be finite numbers`);
      if (/\s/.test(word) || word === '') throw new RewardError(`lexicon entry "${word}" must be a single word`);
    }
  }

  score(texts: readonly string[]): RewardScores {
    const scores = texts.map((text) => {
      let cost = 0;
      for (const word of text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []) cost += this.weights.get(word) ?? 0;
      return -cost;
    });
    return { scores, metadata: { kind: 'lexicon', words: this.weights.size } };
  }
}
