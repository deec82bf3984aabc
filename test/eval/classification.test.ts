import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracy, chooseThreshold, confusionMatrix, f1Score, MetricInputError, precision, recall } from '../../src/eval/index.js';

// g: toxic when < 0. r: predicted toxic when < threshold.
const g = [-2, -1, -0.5, 0.5, 1, 2];
const r = [-3, 0.2, -0.1, 0.4, 1.5, -0.2];

test('the confusion matrix is laid out as scikit-learn lays it out', () => {
  // rows g [non-toxic, toxic], columns predicted [non-toxic, toxic]
  assert.deepEqual(confusionMatrix(g, r), [
    [2, 1],
    [1, 2],
  ]);
  assert.equal(accuracy(g, r), 4 / 6);
  assert.equal(precision(g, r), 2 / 3);
  assert.equal(recall(g, r), 2 / 3);
  assert.equal(f1Score(g, r), 2 / 3);
});

test('a threshold moves the cut on r only; g = 0 is non-toxic', () => {
  assert.deepEqual(confusionMatrix(g, r, { threshold: 0.3 }), [
    [2, 1],
    [0, 3],
  ]);
  assert.equal(accuracy(g, r, { threshold: 0.3 }), 5 / 6);
  assert.deepEqual(confusionMatrix([0, -0], [0, 0]), [
    [2, 0],
    [0, 0],
  ]);
});

test('undefined precision, recall and F1 are null, decided as scikit-learn decides them', () => {
  // No toxic prediction: precision undefined; F1 = 2TP/(2TP+FP+FN) is still 0 while there are toxic texts.
  assert.equal(precision([-1, 1], [1, 1]), null);
  assert.equal(recall([-1, 1], [1, 1]), 0);
  assert.equal(f1Score([-1, 1], [1, 1]), 0);
  // No toxic text: recall undefined.
  assert.equal(recall([1, 1], [-1, 1]), null);
  assert.equal(f1Score([1, 1], [-1, 1]), 0);
  // Neither: F1 undefined too.
  assert.equal(f1Score([1, 2], [1, 2]), null);
  assert.equal(accuracy([1, 2], [1, 2]), 1);
});

test('inputs a caller can get wrong raise MetricInputError', () => {
  assert.throws(() => accuracy([1, 2], [1]), MetricInputError);
  assert.throws(() => accuracy([], []), MetricInputError);
  assert.throws(() => accuracy([1, NaN], [1, 2]), /groundTruth\[1\] is NaN/);
  assert.throws(() => f1Score([1, 2], new Float64Array([1, Infinity])), /recovered\[1\] is Infinity/);
});

test('chooseThreshold maximises accuracy with gap midpoints', () => {
  // r's toxic texts sit below 2, the non-toxic above 3: the best cut is the gap's midpoint.
  const chosen = chooseThreshold([-1, -1, -1, 1, 1], [0.5, 1, 2, 3, 4]);
  assert.deepEqual(chosen, { threshold: 2.5, accuracy: 1 });
  // Applied to another split with accuracy().
  assert.equal(accuracy([-1, 1, 1], [2.4, 2.6, 5], { threshold: chosen.threshold }), 1);
});

test('chooseThreshold breaks ties towards 0, then towards the lower threshold', () => {
  // Perfect separation in the gap (-1, 1): its midpoint is 0 — the sign convention.
  assert.deepEqual(chooseThreshold([-1, -1, 1, 1], [-3, -1, 1, 3]), { threshold: 0, accuracy: 1 });
  // Cuts at 1.5 and 3.5 are equally accurate (3/4): 1.5 is nearer 0.
  assert.deepEqual(chooseThreshold([-1, 1, -1, 1], [1, 2, 3, 4]), { threshold: 1.5, accuracy: 0.75 });
  // A toxic and a non-toxic text tied at r = 0: cuts at -1 and 1 are equally accurate and near; the lower wins.
  assert.deepEqual(chooseThreshold([-1, -1, 1, 1], [-2, 0, 0, 2]), { threshold: -1, accuracy: 0.75 });
});

test('chooseThreshold can predict one class for all, half the range beyond r', () => {
  // All non-toxic is best (4 of 5 right): the cut lies below min(r) by half the range.
  assert.deepEqual(chooseThreshold([1, 1, -1, 1, 1], [0, 1, 2, 3, 4]), { threshold: -2, accuracy: 0.8 });
  // All toxic is best: above max(r).
  assert.deepEqual(chooseThreshold([-1, -1, 1, -1, -1], [0, 1, 2, 3, 4]), { threshold: 6, accuracy: 0.8 });
  // A constant r: the outer cuts are 0.5 from it; tied on accuracy, the one nearer 0 wins.
  assert.deepEqual(chooseThreshold([-1, 1], [2, 2]), { threshold: 1.5, accuracy: 0.5 });
});

test('chooseThreshold keeps tied values of r on one side of the cut', () => {
  // Adjacent doubles: the midpoint rounds onto one of them, so the next value is used.
  const a = 1;
  const b = 1 + Number.EPSILON;
  const chosen = chooseThreshold([-1, 1], [a, b]);
  assert.equal(chosen.accuracy, 1);
  assert.equal(accuracy([-1, 1], [a, b], { threshold: chosen.threshold }), 1);
});
