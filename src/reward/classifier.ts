/**
 * A reward read from any sequence classifier, as the paper uses s-nlp/roberta_toxicity_classifier:
 * the score of a text is −logit[label] (the paper's choice), −P(label), or the log-odds against
 * the label, log P(¬label) − log P(label). All three are higher for texts less like the label.
 */
import { maxInputTokens, type PositionLimits } from '../models/input-length.js';
import type { Tokenizer } from '../text/tokenizer.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { RewardError, type RewardFunction, type RewardScores } from './reward.js';

/** What a classifier must offer: transformers-style forward, label names, and the config fields its input length depends on. */
export interface SequenceClassifier {
  forward(inputs: { inputIds: Tensor; attentionMask?: Tensor }): { logits: Tensor };
  readonly config: PositionLimits & { numLabels: number; id2label: Record<number, string> };
}

export type ClassifierScore = 'negative-logit' | 'negative-probability' | 'log-odds';

export interface ClassifierRewardOptions {
  /** The label whose presence is penalised, by name (e.g. "toxic") or index. */
  label: string | number;
  score?: ClassifierScore;
  batchSize?: number;
  /**
   * Read at most this many tokens (special tokens included) when that is fewer than the
   * classifier's input length, which is the default (models/input-length.ts).
   */
  maxLength?: number;
}

/** Each text's label probabilities and its score, from one forward pass per batch. */
export interface Classification {
  probabilities: number[][];
  scores: number[];
}

export class ClassifierReward implements RewardFunction {
  readonly name: string;
  readonly labelIndex: number;
  /**
   * The tokens, special tokens included, each text is cut to, from the tokenizer's truncation side
   * (right unless tokenizer_config.json says otherwise, as in transformers).
   */
  readonly maxLength: number;
  private readonly mode: ClassifierScore;

  constructor(
    private readonly classifier: SequenceClassifier,
    private readonly tokenizer: Tokenizer,
    private readonly options: ClassifierRewardOptions,
  ) {
    this.labelIndex = resolveLabel(classifier.config, options.label);
    this.mode = options.score ?? 'negative-logit';
    this.name = `classifier(${classifier.config.id2label[this.labelIndex] ?? this.labelIndex}, ${this.mode})`;
    this.maxLength = truncationLength(classifier.config, tokenizer, options.maxLength);
  }

  score(texts: readonly string[]): RewardScores {
    return {
      scores: this.classify(texts).scores,
      metadata: { kind: 'classifier', label: this.classifier.config.id2label[this.labelIndex] ?? this.labelIndex, labelIndex: this.labelIndex, score: this.mode, maxLength: this.maxLength, truncationSide: this.tokenizer.truncationSide },
    };
  }

  /** Label probabilities and scores of the texts, in batches whose tensors are freed as soon as they are read. */
  classify(texts: readonly string[]): Classification {
    const batchSize = this.options.batchSize ?? 32;
    const result: Classification = { probabilities: [], scores: [] };
    for (let start = 0; start < texts.length; start += batchSize) {
      for (const { logits, probabilities } of this.classifyBatch(texts.slice(start, start + batchSize))) {
        result.probabilities.push(probabilities);
        result.scores.push(scoreRow(logits, this.labelIndex, this.mode));
      }
    }
    return result;
  }

  /** One forward pass: each text's logits and probabilities, read to the host; every tensor it made is disposed. */
  private classifyBatch(texts: readonly string[]): Array<{ logits: Float32Array; probabilities: number[] }> {
    const encoded = this.tokenizer.encodeBatch(texts, { padding: 'longest', paddingSide: 'right', truncation: true, maxLength: this.maxLength });
    const shape = [encoded.ids.length, encoded.ids[0]?.length ?? 0];
    const classes = this.classifier.config.numLabels;
    return T.noGrad(() => T.tidy(() => {
      const logits = this.classifier.forward({ inputIds: T.idTensor(encoded.ids.flat(), shape), attentionMask: T.idTensor(encoded.attentionMask.flat(), shape) }).logits;
      const probabilities = T.softmax(logits).data;
      return texts.map((_, row) => ({
        logits: logits.data.slice(row * classes, (row + 1) * classes),
        probabilities: Array.from(probabilities.subarray(row * classes, (row + 1) * classes)),
      }));
    }));
  }
}

/** The classifier's input length, or the caller's shorter limit; a longer one is refused (the model could not read it). */
function truncationLength(config: PositionLimits, tokenizer: Tokenizer, requested: number | undefined): number {
  const limit = maxInputTokens(config, tokenizer);
  if (requested === undefined) return limit;
  if (!Number.isInteger(requested) || requested < 1 || requested > limit) {
    throw new RewardError(`maxLength ${requested} is not possible: the classifier reads 1 to ${limit} tokens (special tokens included); leave it out to use ${limit}`);
  }
  return requested;
}

function scoreRow(logits: Float32Array, label: number, mode: ClassifierScore): number {
  if (mode === 'negative-logit') return -logits[label]!;
  const max = Math.max(...logits);
  const logSumExp = max + Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0));
  const logP = logits[label]! - logSumExp;
  if (mode === 'negative-probability') return -Math.exp(logP);
  // log P(¬label) computed without cancellation: log(1 − P) = log1p(−exp(logP)).
  return Math.log1p(-Math.exp(logP)) - logP;
}

function resolveLabel(config: SequenceClassifier['config'], label: string | number): number {
  if (typeof label === 'number') {
    if (Number.isInteger(label) && label >= 0 && label < config.numLabels) return label;
    throw new RewardError(`label index ${label} is out of range: the classifier has ${config.numLabels} labels`);
  }
  const entry = Object.entries(config.id2label).find(([, name]) => name.toLowerCase() === label.toLowerCase());
  if (!entry) {
    throw new RewardError(`the classifier has no label "${label}"; its labels are ${Object.values(config.id2label).map((n) => `"${n}"`).join(', ')} (or pass an index)`);
  }
  return Number(entry[0]);
}
