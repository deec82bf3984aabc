/**
 * Fine-tuning, or training from scratch, a sequence classifier (RobertaForSequenceClassification,
 * or a classification head on a causal LM) on labelled texts with cross-entropy. Each batch is
 * padded on the right to its longest row. A share of the rows, label-balanced, is held out to
 * measure loss and accuracy on text the model has not seen.
 */
import { maxInputTokens } from '../models/input-length.js';
import type { Module } from '../nn/index.js';
import * as T from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { Tokenizer } from '../text/index.js';
import { fingerprint, splitHeldOut } from './data.js';
import { TrainDataError, TrainOptionsError } from './errors.js';
import { baseRng, runTraining, type TrainResult, type TrainingOptions, type TrainingTask } from './loop.js';

/** Any model that maps token ids (with an attention mask) to one row of class logits per text. */
export type SequenceClassifierModel = Module & {
  forward(inputs: { inputIds: Tensor; attentionMask?: Tensor }): { logits: Tensor };
  config?: {
    numLabels?: number;
    label2id?: Record<string, number>;
    modelType?: string;
    maxPositionEmbeddings?: number;
    padTokenId?: number | null;
  };
};

export interface LabelledText {
  text: string;
  /** A class id (0 .. numLabels − 1), or a class name from the model's config.label2id. */
  label: number | string;
}

export interface TrainSequenceClassifierOptions extends TrainingOptions {
  model: SequenceClassifierModel;
  tokenizer: Tokenizer;
  rows: readonly LabelledText[];
  /** Held-out rows; without them evalFraction of the rows (per label) are held out. */
  evalRows?: readonly LabelledText[];
  /** Default 0.1; 0: no evaluation. */
  evalFraction?: number;
  /** Longest tokenised text (special tokens included); longer texts are cut. Default: what the model's positions allow, at most 512. */
  maxLength?: number;
}

interface Example {
  ids: number[];
  label: number;
}

/** The model's input length (models/input-length.ts), at most 512 to keep training batches small. */
function defaultMaxLength(model: SequenceClassifierModel, tokenizer: Tokenizer): number {
  const config = model.config;
  const modelLimit = config?.maxPositionEmbeddings === undefined
    ? Infinity
    : maxInputTokens({ modelType: config.modelType ?? '', maxPositionEmbeddings: config.maxPositionEmbeddings, padTokenId: config.padTokenId ?? null });
  return Math.min(512, modelLimit, tokenizer.modelMaxLength ?? Infinity);
}

function labelId(label: number | string, row: number, model: SequenceClassifierModel): number {
  const numLabels = model.config?.numLabels;
  if (typeof label === 'string') {
    const id = model.config?.label2id?.[label];
    if (id === undefined) {
      const known = Object.keys(model.config?.label2id ?? {});
      throw new TrainDataError(`row ${row} has label ${JSON.stringify(label)}, which the model's config does not name (${known.length > 0 ? `its labels are ${known.map((k) => JSON.stringify(k)).join(', ')}` : 'it has no label2id'}); use a class id or one of its names`);
    }
    return id;
  }
  if (!Number.isSafeInteger(label) || label < 0 || (numLabels !== undefined && label >= numLabels)) {
    throw new TrainDataError(`row ${row} has label ${label}; labels must be class ids 0 .. ${numLabels === undefined ? 'numLabels − 1' : numLabels - 1}${numLabels === undefined ? '' : ` (the model has ${numLabels} classes)`}`);
  }
  return label;
}

function encodeRows(what: string, rows: readonly LabelledText[], options: TrainSequenceClassifierOptions, maxLength: number): Example[] {
  return rows.map((row, i) => {
    if (typeof row?.text !== 'string') throw new TrainDataError(`${what} row ${i} has no text; rows are { text, label }`);
    const ids = options.tokenizer.encode(row.text, { truncation: true, maxLength });
    if (ids.length === 0) throw new TrainDataError(`${what} row ${i} is empty after tokenisation; drop empty texts`);
    return { ids, label: labelId(row.label, i, options.model) };
  });
}

/** A right-padded batch: ids and mask [rows, longest], labels [rows], and the number of real tokens. */
function padBatch(examples: readonly Example[], padId: number): { inputIds: Tensor; attentionMask: Tensor; labels: Tensor; tokens: number } {
  const longest = Math.max(...examples.map((e) => e.ids.length));
  const ids = new Int32Array(examples.length * longest).fill(padId);
  const mask = new Int32Array(examples.length * longest);
  let tokens = 0;
  examples.forEach((e, row) => {
    ids.set(e.ids, row * longest);
    mask.fill(1, row * longest, row * longest + e.ids.length);
    tokens += e.ids.length;
  });
  const shape = [examples.length, longest];
  return { inputIds: T.idTensor(ids, shape), attentionMask: T.idTensor(mask, shape), labels: T.idTensor(examples.map((e) => e.label), [examples.length]), tokens };
}

function classifierTask(options: TrainSequenceClassifierOptions): TrainingTask {
  const { model, tokenizer } = options;
  const padId = tokenizer.padTokenId ?? model.config?.padTokenId ?? undefined;
  if (padId === undefined || padId === null) {
    throw new TrainOptionsError(`${tokenizer.source} has no pad token, so batches cannot be padded; call tokenizer.setPadToken() (e.g. with the eos token) first`);
  }
  const maxLength = options.maxLength ?? defaultMaxLength(model, tokenizer);
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new TrainOptionsError(`maxLength must be a positive integer, got ${maxLength}`);
  if (!options.rows || options.rows.length === 0) throw new TrainDataError('there are no training rows; pass rows: [{ text, label }, ...] with at least one entry');
  const all = encodeRows('training', options.rows, options, maxLength);
  const split = options.evalRows
    ? { train: all, heldOut: encodeRows('held-out', options.evalRows, options, maxLength) }
    : splitHeldOut(all, options.evalFraction ?? 0.1, baseRng(options).fork('held-out'), (e) => e.label);
  const { train, heldOut } = split;

  const forward = (examples: readonly Example[]) => {
    const batch = padBatch(examples, padId);
    const { logits } = model.forward({ inputIds: batch.inputIds, attentionMask: batch.attentionMask });
    return { logits, batch };
  };
  const evaluate = () => {
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < heldOut.length; start += options.batchSize) {
      const examples = heldOut.slice(start, start + options.batchSize);
      T.tidy(() => {
        const { logits, batch } = forward(examples);
        lossSum += T.crossEntropy(logits, batch.labels).item() * examples.length;
        const classes = logits.shape[1]!;
        const values = logits.data;
        examples.forEach((e, row) => {
          let best = 0;
          for (let c = 1; c < classes; c++) if (values[row * classes + c]! > values[row * classes + best]!) best = c;
          if (best === e.label) correct += 1;
        });
      });
    }
    return { loss: lossSum / heldOut.length, accuracy: correct / heldOut.length };
  };
  return {
    kind: 'sequence-classifier',
    trainSize: train.length,
    evalSize: heldOut.length,
    batchLoss: (indices) => {
      const { logits, batch } = forward(indices.map((i) => train[i]!));
      return { loss: T.crossEntropy(logits, batch.labels), tokens: batch.tokens };
    },
    evaluate: heldOut.length > 0 ? evaluate : null,
    settings: {
      maxLength, padId,
      data: fingerprint(train.map((e) => e.ids), [train.map((e) => e.label)], heldOut.map((e) => e.ids), [heldOut.map((e) => e.label)]),
    },
  };
}

/**
 * Trains a sequence classifier on labelled texts and returns the final metrics, held-out accuracy
 * included. The model is trained in place; saving it (saveModel) is the caller's job.
 */
export function trainSequenceClassifier(options: TrainSequenceClassifierOptions): TrainResult {
  return runTraining(options.model, classifierTask(options), options);
}
