/**
 * Stage `ground-truth`: the reward the RLHF'd model is trained on and IRL tries to recover. In the
 * demo, a small RoBERTa classifier trained from scratch on the world's labelled sentences
 * (abusive vs. clean or benign renderings of the training sentences). It is judged within the
 * register: on held-out sentences, each in its clean and its abusive form, so a classifier that
 * only told two sources or styles apart would fail; both as written and as a continuation shows
 * them (after a space), the form the RLHF reward reads. Below `min_accuracy` the stage fails.
 *
 * With `source` set (s-nlp/roberta_toxicity_classifier in the Pythia presets, or a local folder),
 * nothing is trained: the stage resolves the classifier and points to it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { asContinuation, type LabelledText as WorldText } from '../../data/demo-world/index.js';
import { mean } from '../../eval/index.js';
import { parseConfig, readConfig, type RobertaConfig } from '../../io/config.js';
import { resolveModelDetails } from '../../io/hub.js';
import { RobertaForSequenceClassification } from '../../models/roberta.js';
import { saveModel } from '../../models/save.js';
import { initWeights } from '../../nn/index.js';
import { ClassifierReward } from '../../reward/index.js';
import { Tokenizer } from '../../text/index.js';
import { trainSequenceClassifier } from '../../train/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { PipelineError } from '../errors.js';
import { s } from '../schema.js';
import { defineStage } from '../stage.js';
import { readJsonLines } from '../../io/json-lines.js';
import { trainingReporter } from '../metrics.js';
import { writeModelPointer } from './model-pointer.js';
import { CLASSIFIER_TOKENIZER_DIR, WORLD_FILES } from './world.js';

export const CLASSIFIER_DIR = 'model';
export const EVALUATION_FILE = 'evaluation.json';
/** Label names as s-nlp/roberta_toxicity_classifier has them. */
export const CLASSIFIER_LABELS = { 0: 'neutral', 1: 'toxic' } as const;

export const groundTruthSchema = s.object({
  source: s.nullable(s.string({ nonEmpty: true }), { default: null, description: 'a hub id or local folder to use instead of training one (e.g. s-nlp/roberta_toxicity_classifier)' }),
  toxic_label: s.string({ nonEmpty: true, default: 'toxic', description: "the classifier's label for toxic text (a name from id2label)" }),
  max_length: s.integer({ min: 8, default: 64, description: 'longest input in tokens (special tokens included)' }),
  hidden_size: s.integer({ min: 8, default: 64 }),
  num_layers: s.integer({ min: 1, default: 2 }),
  num_heads: s.integer({ min: 1, default: 4 }),
  intermediate_size: s.integer({ min: 8, default: 128 }),
  batch_size: s.integer({ min: 1, default: 32 }),
  epochs: s.number({ min: 0, exclusiveMin: true, default: 1 }),
  learning_rate: s.number({ min: 0, exclusiveMin: true, default: 2e-3 }),
  warmup_steps: s.integer({ min: 0, default: 10 }),
  min_accuracy: s.number({ min: 0, max: 1, default: 0.95, description: 'the held-out accuracy (clean vs. abusive forms of the same sentences) below which the stage fails' }),
});

export interface GroundTruthEvaluation {
  /** Accuracy on held-out sentences, each in its clean (0) and abusive (1) form, at P(toxic) > 0.5. */
  accuracy: number;
  /** Share of held-out sentences whose abusive form gets a higher P(toxic) than its clean form. */
  pairAccuracy: number;
  /**
   * The same two figures with each sentence read as a continuation shows it, after a space. The
   * classifier judges continuations: a form it flags only at a text's start ("Shit, ..." but not
   * " Shit, ...") is one the RLHF reward never punishes, so no IRL could recover it.
   */
  continuationAccuracy: number;
  continuationPairAccuracy: number;
  /** Share of held-out benign renderings (harmless words in an abusive template's shape) called toxic. */
  benignFalsePositiveRate: number;
  meanToxicityClean: number;
  meanToxicityAbusive: number;
  meanToxicityBenign: number;
  pairs: number;
}

/** P(toxic) of each held-out text's clean, abusive and benign form, by sentence. */
function toxicityBySentence(reward: ClassifierReward, test: readonly WorldText[], read: (text: string) => string) {
  const probabilities = reward.score(test.map((t) => read(t.text))).scores.map((score) => -score);
  const bySentence = new Map<string, Partial<Record<WorldText['form'], number>>>();
  test.forEach((t, i) => bySentence.set(t.sentence, { ...bySentence.get(t.sentence), [t.form]: probabilities[i]! }));
  const paired = [...bySentence.values()].filter((forms) => forms.clean !== undefined && forms.abusive !== undefined);
  return {
    clean: paired.map((forms) => forms.clean!),
    abusive: paired.map((forms) => forms.abusive!),
    benign: [...bySentence.values()].flatMap((forms) => (forms.benign === undefined ? [] : [forms.benign])),
  };
}

/** Accuracy at P(toxic) > 0.5 over both forms, and the share of pairs whose abusive form is the more toxic. */
function registerFigures({ clean, abusive }: { clean: readonly number[]; abusive: readonly number[] }) {
  const correct = clean.filter((p) => p <= 0.5).length + abusive.filter((p) => p > 0.5).length;
  return { accuracy: correct / (2 * clean.length), pairAccuracy: clean.filter((p, i) => abusive[i]! > p).length / clean.length };
}

/** Scores the held-out texts of the world with a classifier: accuracy within the register, as written and as continuations. */
export function evaluateWithinRegister(reward: ClassifierReward, texts: readonly WorldText[]): GroundTruthEvaluation {
  const test = texts.filter((t) => t.split === 'test');
  const written = toxicityBySentence(reward, test, (text) => text);
  const pairs = written.clean.length;
  if (pairs === 0) throw new PipelineError('ground-truth: the world has no held-out sentence pairs to evaluate on');
  const continuations = registerFigures(toxicityBySentence(reward, test, asContinuation));
  const { benign } = written;
  return {
    ...registerFigures(written),
    continuationAccuracy: continuations.accuracy,
    continuationPairAccuracy: continuations.pairAccuracy,
    benignFalsePositiveRate: benign.length === 0 ? NaN : benign.filter((p) => p > 0.5).length / benign.length,
    meanToxicityClean: mean(written.clean),
    meanToxicityAbusive: mean(written.abusive),
    meanToxicityBenign: mean(benign),
    pairs,
  };
}

export const groundTruthStage = defineStage({
  name: 'ground-truth',
  configKey: 'ground_truth',
  configSchema: groundTruthSchema,
  dependsOn: ['world'],
  // 2: dropout masks come from the backend's counter-based generator, so the same seed trains another classifier.
  // 3: judged on held-out sentences read as continuations too, and fails when either reading is weak.
  version: '3',
  description: 'train the ground-truth toxicity classifier on the world (or point to a given one)',
  inputs: (ctx) => {
    const source = ctx.config.source;
    if (source !== null) return existsSync(source) ? [source] : [];
    return [join(ctx.stageDir('world'), WORLD_FILES.labelled), join(ctx.stageDir('world'), CLASSIFIER_TOKENIZER_DIR)];
  },
  async run(ctx) {
    const config = ctx.config;
    if (config.source !== null) {
      const resolved = await resolveModelDetails(config.source);
      const modelConfig = readConfig(resolved.folder);
      if (!Object.values(modelConfig.id2label).some((name) => name.toLowerCase() === config.toxic_label.toLowerCase())) {
        throw new PipelineError(`ground-truth: ${config.source} has no label '${config.toxic_label}' (its labels: ${Object.values(modelConfig.id2label).join(', ')}); set ground_truth.toxic_label`);
      }
      writeModelPointer(ctx.dir, { path: resolved.folder, source: config.source, architecture: modelConfig.architectures[0] });
      ctx.log.info(`ground truth: ${config.source} (${resolved.source}: ${resolved.folder})`);
      return { source: config.source, folder: resolved.folder };
    }
    const worldDir = ctx.stageDir('world');
    if (!existsSync(join(worldDir, WORLD_FILES.labelled))) {
      throw new PipelineError("ground-truth: there is no demo world to train on (world.kind is 'none'); set ground_truth.source to a classifier, or world.kind to 'demo'");
    }
    const tokenizerDir = join(worldDir, CLASSIFIER_TOKENIZER_DIR);
    const tokenizer = Tokenizer.fromFolder(tokenizerDir);
    const padId = tokenizer.padTokenId;
    if (padId === undefined) throw new PipelineError(`ground-truth: the tokenizer in ${tokenizerDir} has no pad token`);
    const modelConfig = parseConfig({
      model_type: 'roberta',
      architectures: ['RobertaForSequenceClassification'],
      vocab_size: tokenizer.vocabSize,
      hidden_size: config.hidden_size,
      num_hidden_layers: config.num_layers,
      num_attention_heads: config.num_heads,
      intermediate_size: config.intermediate_size,
      max_position_embeddings: config.max_length + padId + 1,
      type_vocab_size: 1,
      pad_token_id: padId,
      bos_token_id: tokenizer.eosTokenId ?? 0,
      eos_token_id: tokenizer.eosTokenId ?? 0,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
      id2label: CLASSIFIER_LABELS,
      label2id: { neutral: 0, toxic: 1 },
      problem_type: 'single_label_classification',
    }) as RobertaConfig;
    const model = new RobertaForSequenceClassification(modelConfig);
    initWeights(model, ctx.rng.fork('init'), { std: modelConfig.initializerRange });

    const texts = readJsonLines<WorldText>(join(worldDir, WORLD_FILES.labelled));
    const rows = texts.filter((t) => t.split === 'train').map((t) => ({ text: t.text, label: t.label }));
    ctx.log.info(`training a ${config.num_layers}-layer RoBERTa classifier (d=${config.hidden_size}, ${model.parameterCount()} parameters) on ${rows.length} texts`);
    const result = trainSequenceClassifier({
      model,
      tokenizer,
      rows,
      // Held-out evaluation happens once, below, within the register (not on a random share of the rows).
      evalFraction: 0,
      maxLength: config.max_length,
      batchSize: config.batch_size,
      epochs: config.epochs,
      learningRate: config.learning_rate,
      warmupSteps: config.warmup_steps,
      checkpointDir: ctx.checkpointDir,
      rng: ctx.rng.fork('train'),
      signal: ctx.signal,
      onMetrics: trainingReporter(ctx, 'classifier', 50),
      onResume: (step) => ctx.metrics.discardAfter(step),
    });
    model.eval();
    const reward = new ClassifierReward(model, tokenizer, { label: config.toxic_label, score: 'negative-probability', batchSize: 64 });
    const evaluation = evaluateWithinRegister(reward, texts);
    writeFileAtomic(join(ctx.dir, EVALUATION_FILE), JSON.stringify({ ...evaluation, minAccuracy: config.min_accuracy, trainSteps: result.steps, trainLoss: result.loss }, null, 2) + '\n');
    ctx.metrics.write({
      heldout_accuracy: evaluation.accuracy,
      heldout_pair_accuracy: evaluation.pairAccuracy,
      heldout_continuation_accuracy: evaluation.continuationAccuracy,
      benign_false_positive_rate: evaluation.benignFalsePositiveRate,
    });
    ctx.log.info(
      `held-out accuracy within the register: ${evaluation.accuracy.toFixed(3)} on ${evaluation.pairs} clean/abusive pairs ` +
        `(pairs ranked right: ${evaluation.pairAccuracy.toFixed(3)}; benign look-alikes called toxic: ${evaluation.benignFalsePositiveRate.toFixed(3)}); ` +
        `read as continuations: ${evaluation.continuationAccuracy.toFixed(3)} (pairs ${evaluation.continuationPairAccuracy.toFixed(3)})`,
    );
    const weakest = Math.min(evaluation.accuracy, evaluation.continuationAccuracy);
    if (weakest < config.min_accuracy) {
      const read = evaluation.accuracy <= evaluation.continuationAccuracy ? 'as written' : 'as continuations (after a space)';
      throw new PipelineError(
        `ground-truth: the classifier's held-out accuracy ${read} is ${weakest.toFixed(3)}, below ground_truth.min_accuracy ${config.min_accuracy}; ` +
          'a ground truth this weak would make every later result meaningless. Train longer (ground_truth.epochs), use a larger world (world.size), or lower min_accuracy knowingly',
      );
    }
    saveModel(model, modelConfig, join(ctx.dir, CLASSIFIER_DIR), { tokenizerFrom: tokenizerDir });
    writeModelPointer(ctx.dir, { path: CLASSIFIER_DIR, source: 'trained', architecture: 'RobertaForSequenceClassification' });
    return {
      source: 'trained',
      parameters: model.parameterCount(),
      steps: result.steps,
      heldOutAccuracy: evaluation.accuracy,
      pairAccuracy: evaluation.pairAccuracy,
      continuationPairAccuracy: evaluation.continuationPairAccuracy,
      benignFalsePositiveRate: evaluation.benignFalsePositiveRate,
      pairs: evaluation.pairs,
    };
  },
});
