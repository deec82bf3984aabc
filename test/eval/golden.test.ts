// Every metric in ../shared/metrics/golden.json (scikit-learn's and SciPy's answers) against
// eval/, case by case. A metric the file holds but this table does not check fails the test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as metrics from '../../src/eval/index.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldenFile = resolve(projectRoot, '../shared/metrics/golden.json');
const TOLERANCE = 1e-9;

interface GoldenCase {
  name: string;
  recovered: number[];
  ground_truth: number[];
  [metric: string]: unknown;
}

const INPUT_KEYS = new Set(['name', 'note', 'recovered', 'ground_truth']);

/** Each golden key, and what eval/ computes for it (golden.json's convention: toxic when g < 0). */
const CHECKS: Record<string, (g: number[], r: number[]) => unknown> = {
  accuracy_sign: (g, r) => metrics.accuracy(g, r),
  f1_sign_toxic_positive: (g, r) => metrics.f1Score(g, r),
  confusion_sign: (g, r) => ({ matrix: metrics.confusionMatrix(g, r) }),
  auroc_toxic_by_minus_recovered: (g, r) => metrics.auroc(g, r),
  pearson: (g, r) => metrics.pearson(r, g),
  spearman: (g, r) => metrics.spearman(r, g),
  kendall_tau_b: (g, r) => metrics.kendallTauB(r, g),
  cosine: (g, r) => metrics.cosineSimilarity(r, g),
  euclidean: (g, r) => metrics.euclideanDistance(r, g),
  euclidean_standardised: (g, r) => metrics.standardisedEuclideanDistance(r, g),
  pairwise_accuracy: (g, r) => metrics.pairwiseAccuracy(g, r),
};

/** Numbers within TOLERANCE, null exactly null, objects key by key over the keys eval/ returns. */
function assertMatches(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'number') {
    assert.equal(typeof actual, 'number', `${where}: expected ${expected}, got ${actual}`);
    assert.ok(Math.abs((actual as number) - expected) <= TOLERANCE, `${where}: expected ${expected}, got ${actual}`);
  } else if (expected === null) {
    assert.equal(actual, null, `${where}: expected null (undefined), got ${actual}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    expected.forEach((item, i) => assertMatches((actual as unknown[])[i], item, `${where}[${i}]`));
  } else {
    // Golden objects carry descriptions (e.g. the confusion matrix's `labels`) beside their numbers.
    for (const [key, value] of Object.entries(actual as object)) assertMatches(value, (expected as Record<string, unknown>)[key], `${where}.${key}`);
  }
}

const golden = JSON.parse(readFileSync(goldenFile, 'utf8')) as { cases: GoldenCase[] };

test('golden.json has cases, and every metric eval/ checks appears in one', () => {
  assert.ok(golden.cases.length > 0, `${goldenFile} has no cases`);
  const seen = new Set(golden.cases.flatMap((c) => Object.keys(c)));
  for (const metric of Object.keys(CHECKS)) assert.ok(seen.has(metric), `no golden case has ${metric}: was it renamed in golden.json?`);
});

for (const goldenCase of golden.cases) {
  test(`golden case '${goldenCase.name}' matches scikit-learn and SciPy`, () => {
    const metricsInCase = Object.keys(goldenCase).filter((key) => !INPUT_KEYS.has(key));
    for (const metric of metricsInCase) {
      const check = CHECKS[metric];
      assert.ok(check, `golden.json's case '${goldenCase.name}' has ${metric}, which eval/ does not check: add it to CHECKS`);
      assertMatches(check(goldenCase.ground_truth, goldenCase.recovered), goldenCase[metric], `${goldenCase.name}.${metric}`);
    }
  });
}
