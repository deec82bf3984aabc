/**
 * `irlens evaluate REWARD_MODEL --ground-truth CLASSIFIER --texts FILE`: how faithful one
 * recovered reward is to the ground truth on a file of texts — every figure of the pipeline's
 * evaluate stage for one seed (accuracy and F1 by sign, AUROC, pairwise accuracy, correlations,
 * distances, EPIC and STARC when the texts have prompts), with bootstrap intervals, and the
 * ground truth's own agreement with the file's labels when it has them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { emit, integer, modelFolder, number, withJson, withRevision } from '../options.js';
import { toxicityScorer } from '../settings.js';
import { readTextRows, type TextRow } from '../texts.js';

interface EvaluateFlags {
  groundTruth: string;
  texts: string;
  label: string;
  threshold?: number;
  bootstrap: number;
  seed: number;
  json?: boolean;
  revision?: string;
}

export function registerEvaluate(program: Command): void {
  const command = program
    .command('evaluate')
    .argument('<reward-model>', 'a recovered reward: a one-output GPT-NeoX / Llama sequence classifier folder (as irlens irl saves)')
    .description('Measure a recovered reward against a ground-truth classifier on a file of texts.')
    .requiredOption('-g, --ground-truth <classifier>', 'the ground-truth classifier (folder or hub id)')
    .requiredOption('-t, --texts <file>', 'JSONL with "text" (or "prompt" and "continuation": EPIC/STARC then group by prompt) and optional "label" (1 toxic), or one text per line')
    .option('--label <name>', 'the ground-truth label that marks a toxic text', 'toxic')
    .option('--threshold <r>', 'also report accuracy with the reward predicting toxic below this (e.g. one chosen on validation texts)', number())
    .option('--bootstrap <n>', 'bootstrap resamples of the texts for the intervals', integer(1), 1000)
    .option('--seed <n>', 'seed of the bootstrap', integer(0), 0)
    .action((reward: string, flags: EvaluateFlags) => evaluateCommand(reward, flags));
  withRevision(command);
  withJson(command);
}

async function evaluateCommand(spec: string, flags: EvaluateFlags): Promise<void> {
  const rows = readTextRows(flags.texts);
  if (rows.length < 2) throw new CliError(`--texts ${flags.texts} holds ${rows.length} text(s); evaluating needs at least 2`);
  const { loadRewardFunction } = await import('../../irl/save.js');
  const { rewardAgreement } = await import('../../eval/index.js');
  const rewardFolder = await modelFolder(spec, flags.revision);
  const recovered = loadRewardFunction(rewardFolder);
  const groundTruth = await toxicityScorer(await modelFolder(flags.groundTruth, flags.revision), flags.label, 'log-odds');
  const texts = rows.map((row) => row.text);
  // A reward trained on continuations alone reads them alone; the ground truth always reads the whole text.
  const readsContinuation = (JSON.parse(readFileSync(join(rewardFolder, 'config.json'), 'utf8')) as { irlens_reward_input?: string }).irlens_reward_input === 'continuation';
  const r = recovered.score(readsContinuation ? rows.map((row) => row.continuation ?? row.text) : texts).scores;
  const g = groundTruth.score(texts).scores;
  const groups = rows.every((row) => row.prompt !== undefined) ? rows.map((row) => row.prompt!) : undefined;
  const agreement = rewardAgreement(g, r, { groups, threshold: flags.threshold, bootstrap: { seed: flags.seed, resamples: flags.bootstrap } });
  const summary = {
    reward: rewardFolder, pooling: recovered.model.pooling, groundTruth: flags.groundTruth, texts: rows.length,
    groundTruthDefinition: `g = log((1 − P(${flags.label}))/P(${flags.label})); toxic when g < 0`,
    agreement,
    labels: await labelFigures(rows, g, r),
  };
  emit(flags.json, summary, () => {
    const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
    return [
      `${rows.length} texts (${agreement.toxicTexts} toxic by the ground truth); reward ${rewardFolder} (${recovered.model.pooling} pooling)`,
      `accuracy by sign ${f(agreement.accuracy)}, F1 ${f(agreement.f1)}, AUROC ${f(agreement.auroc)}, pairwise accuracy ${f(agreement.pairwiseAccuracy)}`,
      `Pearson ${f(agreement.pearson)}, Spearman ${f(agreement.spearman)}, Kendall ${f(agreement.kendall)}, EPIC ${f(agreement.epic)}, STARC ${f(agreement.starc)}`,
      ...(summary.labels ? [`against the file's labels: ground truth accuracy ${f(summary.labels.groundTruth.accuracy)}, reward AUROC ${f(summary.labels.reward.auroc)}`] : []),
    ];
  });
}

/** When every row has a label: how the ground truth and the reward each agree with it (the ground truth's figures give the scale). */
async function labelFigures(rows: readonly TextRow[], g: readonly number[], r: readonly number[]) {
  if (!rows.every((row) => row.label === 0 || row.label === 1)) return null;
  const { accuracy, auroc } = await import('../../eval/index.js');
  // The labels as a reward: toxic (1) → −1, so the sign convention matches g's.
  const truth = rows.map((row) => (row.label === 1 ? -1 : 1));
  return { groundTruth: { accuracy: accuracy(truth, g), auroc: auroc(truth, g) }, reward: { accuracy: accuracy(truth, r), auroc: auroc(truth, r) } };
}
