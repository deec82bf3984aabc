/** The ground truth's quality: a reward that is itself wrong would make every later figure meaningless. */
import { formatNumber } from '../format.js';
import { html } from '../html.js';
import type { RunModel } from '../run-model.js';
import { defineSection, table } from '../section.js';

/** ground-truth/evaluation.json's keys in words; keys not listed are shown by name. */
const LABELS: Record<string, string> = {
  accuracy: 'accuracy on held-out sentences, each clean and abusive (toxic when P_tox > 0.5)',
  pairAccuracy: 'held-out pairs ranked right (the abusive form more toxic than the clean)',
  continuationAccuracy: 'the same accuracy with each sentence read as a continuation shows it (after a space)',
  continuationPairAccuracy: 'held-out pairs ranked right, read as continuations',
  benignFalsePositiveRate: 'benign look-alikes (harmless words in an abusive shape) called toxic',
  meanToxicityClean: 'mean P_tox of the clean forms',
  meanToxicityAbusive: 'mean P_tox of the abusive forms',
  meanToxicityBenign: 'mean P_tox of the benign look-alikes',
  pairs: 'held-out sentences',
  minAccuracy: 'the accuracy the stage requires (ground_truth.min_accuracy)',
  trainSteps: 'training steps',
  trainLoss: 'training loss at the end',
};

function onTheSameTexts(run: RunModel) {
  const figures = run.evaluation?.summary.groundTruth;
  if (figures === undefined) return '';
  const rows = [
    ['test continuations judged toxic', formatNumber(figures.test.toxicShare)],
    ['expert-vs-baseline AUROC on the test continuations', formatNumber(figures.test.expertAuroc)],
    ...(figures.minimalPairs
      ? [
          ['minimal pairs ranked right', formatNumber(figures.minimalPairs.pairAccuracy)],
          ['minimal-pair texts right by sign', formatNumber(figures.minimalPairs.accuracyBySign)],
          ...(figures.minimalPairs.lookAlikePairAccuracy === undefined
            ? []
            : [
                ['look-alike pairs ranked right (the benign look-alike above the abusive form)', formatNumber(figures.minimalPairs.lookAlikePairAccuracy)],
                ['clean form above its benign look-alike', formatNumber(figures.minimalPairs.cleanOverLookAlike)],
              ]),
        ]
      : []),
  ];
  return html`<h3>On the texts the recovered rewards are tested on (evaluate)</h3>${table(['figure', 'value'], rows, [1])}`;
}

export const groundTruthSection = defineSection('ground-truth', 'The ground truth', ['ground-truth'], (run) => {
  const evaluation = run.groundTruth;
  const source = (run.config?.values.ground_truth as { source?: unknown } | undefined)?.source;
  const own = evaluation
    ? table(['held-out figure', 'value'], Object.entries(evaluation).map(([key, value]) => [LABELS[key] ?? key, formatNumber(value)]), [1])
    : html`<p>The ground truth is a classifier the config names (ground_truth.source: ${typeof source === 'string' ? source : 'not recorded'}); it was not trained here, so it has no held-out figures of its own.</p>`;
  return html`${own}${onTheSameTexts(run)}`;
});
