/**
 * A reward read from any sequence classifier, as the paper uses s-nlp/roberta_toxicity_classifier:
 * the score of a text is −logit[label] (the paper's choice), −P(label), or the log-odds against
 * the label, log P(¬label) − log P(label). All three are higher for texts less like the label.
 */
import type { Side } from '../text/batch.js';
import type { Tokenizer } from '../text/tokenizer.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { RewardError, type RewardFunction, type RewardScores } from './reward.js';

/** What a classifier must offer: transformers-style forward and label names. */
export interface SequenceClassifier {
  forward(inputs: { inputIds: Tensor; attentionMask?: Tensor }): { logits: Tensor };
  readonly config: { numLabels: number; id2label: Record<number, string> };
}

export type ClassifierScore = 'negative-logit' | 'negative-probability' | 'log-odds';

export interface ClassifierRewardOptions {
  /** The label whose presence is penalised, by name (e.g. "toxic") or index. */
  label: string | number;
  score?: ClassifierScore;
  batchSize?: number;
  /** Longest input in tokens; longer texts are truncated from `truncationSide`. */
  maxLength?: number;
  truncationSide?: Side;
}

export class ClassifierReward implements RewardFunction {
  readonly name: string;
  private readonly labelIndex: number;
  private readonly mode: ClassifierScore;

  constructor(
    private readonly classifier: SequenceClassifier,
    private readonly tokenizer: Tokenizer,
    private readonly options: ClassifierRewardOptions,
  ) {
    this.labelIndex = resolveLabel(classifier.config, options.label);
    this.mode = options.score ?? 'negative-logit';
    this.name = `classifier(${classifier.config.id2label[this.labelIndex] ?? this.labelIndex}, ${this.mode})`;
  }

  score(texts: readonly string[]): RewardScores {
    const batchSize = this.options.batchSize ?? 32;
    const scores: number[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      scores.push(...this.scoreBatch(texts.slice(start, start + batchSize)));
    }
    return {
      scores,
      metadata: { kind: 'classifier', label: this.classifier.config.id2label[this.labelIndex] ?? this.labelIndex, labelIndex: this.labelIndex, score: this.mode, maxLength: this.options.maxLength ?? null, truncationSide: this.options.truncationSide ?? 'right' },
    };
  }

  /** Label probabilities of each text (for `irlens score`). */
  probabilities(texts: readonly string[]): number[][] {
    return texts.map((text) => Array.from(T.noGrad(() => T.softmax(this.logits([text]))).data));
  }

  private logits(texts: readonly string[]): Tensor {
    const encoded = this.tokenizer.encodeBatch(texts, {
      padding: 'longest',
      paddingSide: 'right',
      truncation: this.options.maxLength !== undefined,
      maxLength: this.options.maxLength,
      truncationSide: this.options.truncationSide,
    });
    const rows = encoded.ids.length;
    const columns = encoded.ids[0]?.length ?? 0;
    const inputIds = T.idTensor(encoded.ids.flat(), [rows, columns]);
    const attentionMask = T.idTensor(encoded.attentionMask.flat(), [rows, columns]);
    return T.noGrad(() => T.tidy(() => this.classifier.forward({ inputIds, attentionMask }).logits));
  }

  private scoreBatch(texts: readonly string[]): number[] {
    const logits = this.logits(texts);
    const classes = this.classifier.config.numLabels;
    const out: number[] = [];
    for (let row = 0; row < texts.length; row++) {
      const values = logits.data.subarray(row * classes, (row + 1) * classes);
      out.push(scoreRow(values, this.labelIndex, this.mode));
    }
    return out;
  }
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
