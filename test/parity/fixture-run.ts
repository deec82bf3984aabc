/**
 * One model fixture, run once: the model loaded from the folder, the golden inputs fed through it,
 * the loss that golden.json describes, and its backward pass, so that every check can compare
 * one output with its golden.
 */
import type { ModelConfig, TensorMap, TensorRecord } from '../../src/io/index.js';
import { loadModel } from '../../src/models/load.js';
import type { Architecture } from '../../src/models/registry.js';
import type { Module } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { type Tensor, hostTensor } from '../../src/tensor/index.js';
import { readModelGoldens, type ModelGoldens } from '../helpers/fixtures.js';

/** What golden.json says the loss is, mapped to how the suite computes it. */
const LOSS_DEFINITIONS: Record<Architecture['kind'], string> = {
  'causal-lm': 'mean token cross-entropy, labels = input_ids shifted by one, padding ignored',
  'sequence-classifier': 'mean cross-entropy over the batch',
};

/** The inputs a model fixture's goldens hold; they are fed to the model, not compared. */
export const INPUT_KEYS = ['input_ids', 'attention_mask', 'position_ids', 'labels'] as const;

interface ForwardModel {
  forward(inputs: { inputIds: Tensor; attentionMask?: Tensor; positionIds?: Tensor }): { logits: Tensor; hidden?: Tensor };
}

export interface FixtureRun {
  name: string;
  folder: string;
  goldens: ModelGoldens;
  model: Module;
  config: ModelConfig;
  architecture: Architecture;
  logits: Tensor;
  /** The last hidden state (the final norm's output), when the model returns it. */
  hidden: Tensor | null;
  loss: Tensor;
  /** Golden gradient name (without "grad.") → the model parameter it belongs to. */
  gradParameters: Map<string, { parameter: Tensor; modelName: string }>;
  /** Golden gradient names that name no parameter of the model. */
  unknownGrads: string[];
  /** The largest |entry| over every golden gradient: the scale of the model's gradients. */
  largestGradient: number;
}

export function goldenTensor(goldens: ModelGoldens, key: string): TensorRecord {
  const record = goldens.tensors.get(key);
  if (!record) throw new Error(`${goldens.folder}/golden.safetensors has no tensor '${key}'`);
  return record;
}

const toTensor = (record: TensorRecord): Tensor => hostTensor(record.data, record.shape);

/** Labels for next-token prediction: position i predicts token i+1 of its row; padding and the last position are ignored (-100). */
export function shiftedLabels(inputIds: TensorRecord, attentionMask: TensorRecord | undefined): Tensor {
  const [batch, t] = inputIds.shape as [number, number];
  const labels = new Int32Array(batch * t).fill(-100);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i + 1 < t; i++) {
      const next = b * t + i + 1;
      if (!attentionMask || attentionMask.data[next] !== 0) labels[b * t + i] = inputIds.data[next]!;
    }
  }
  return T.idTensor(labels, [batch, t]);
}

function lossOf(kind: Architecture['kind'], goldens: ModelGoldens, logits: Tensor): Tensor {
  const described = goldens.json.loss;
  if (described !== LOSS_DEFINITIONS[kind]) {
    throw new Error(
      `golden.json describes the loss as ${JSON.stringify(described)}, but the suite computes ${kind} losses as ` +
        `${JSON.stringify(LOSS_DEFINITIONS[kind])}; teach test/parity/fixture-run.ts the new definition`,
    );
  }
  if (kind === 'causal-lm') {
    return T.crossEntropy(logits, shiftedLabels(goldenTensor(goldens, 'input_ids'), goldens.tensors.get('attention_mask')));
  }
  return T.crossEntropy(logits, toTensor(goldenTensor(goldens, 'labels')));
}

/**
 * Maps each golden gradient onto the model's parameter, through the architecture's renameWeights
 * (a checkpoint may name a weight differently, e.g. lm_head.weight for embed_out.weight).
 */
function mapGradients(goldens: ModelGoldens, model: Module, architecture: Architecture, config: ModelConfig): Pick<FixtureRun, 'gradParameters' | 'unknownGrads' | 'largestGradient'> {
  const golden: TensorMap = new Map();
  for (const [key, record] of goldens.tensors) if (key.startsWith('grad.')) golden.set(key.slice('grad.'.length), record);
  const renamed = architecture.renameWeights?.(golden, config) ?? golden;
  const goldenNameOf = new Map<TensorRecord, string>([...golden].map(([name, record]) => [record, name]));
  const state = model.stateDict();
  const gradParameters = new Map<string, { parameter: Tensor; modelName: string }>();
  for (const [modelName, record] of renamed) {
    const goldenName = goldenNameOf.get(record);
    const parameter = state.get(modelName);
    if (goldenName === undefined || !parameter) continue;
    if (!gradParameters.has(goldenName)) gradParameters.set(goldenName, { parameter, modelName });
  }
  const unknownGrads = [...golden.keys()].filter((name) => !gradParameters.has(name));
  let largestGradient = 0;
  for (const record of golden.values()) for (const value of record.data) largestGradient = Math.max(largestGradient, Math.abs(value));
  return { gradParameters, unknownGrads, largestGradient };
}

export function runFixture(name: string, folder: string): FixtureRun {
  const goldens = readModelGoldens(folder);
  const { model, config, architecture } = loadModel(folder);
  model.eval();
  const inputIds = toTensor(goldenTensor(goldens, 'input_ids'));
  const mask = goldens.tensors.get('attention_mask');
  const positions = goldens.tensors.get('position_ids');
  const inputs = {
    inputIds,
    ...(mask ? { attentionMask: toTensor(mask) } : {}),
    ...(positions && architecture.kind === 'causal-lm' ? { positionIds: toTensor(positions) } : {}),
  };
  const outputs = (model as unknown as ForwardModel).forward(inputs);
  const loss = lossOf(architecture.kind, goldens, outputs.logits);
  for (const p of model.parameters()) p.grad = null;
  loss.backward();
  return {
    name,
    folder,
    goldens,
    model,
    config,
    architecture,
    logits: outputs.logits,
    hidden: outputs.hidden ?? null,
    loss,
    ...mapGradients(goldens, model, architecture, config),
  };
}

/** Runs each fixture at most once, remembering a failure so that every check reports it. */
export function memoised(name: string, folder: string): () => FixtureRun {
  let result: { run: FixtureRun } | { error: unknown } | null = null;
  return () => {
    if (!result) {
      try {
        result = { run: runFixture(name, folder) };
      } catch (error) {
        result = { error };
      }
    }
    if ('error' in result) throw result.error;
    return result.run;
  };
}

/** What a check measured: its error in the tolerance's units, and the tolerance it must meet. */
export interface CheckResult {
  /** What the error measures, e.g. "max |a−b|/max(1,|b|)". */
  measure: string;
  error: number;
  tolerance: number;
  /** Where the largest error is, or other detail for the report. */
  detail?: string;
}
