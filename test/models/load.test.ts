/** loadCausalLM and loadClassifier: the kind asked for loads with its type; the other kind is a user error naming the folder. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { ModelKindError } from '../../src/models/errors.js';
import { GPTNeoXForCausalLM } from '../../src/models/gpt-neox.js';
import { loadCausalLM, loadClassifier, loadModel } from '../../src/models/load.js';
import { RobertaForSequenceClassification } from '../../src/models/roberta.js';
import { fixture } from '../helpers/fixtures.js';

const lm = fixture('gpt-neox-tiny');
const classifier = fixture('roberta-tiny-classifier');

test('each loader loads its kind, as loadModel does', () => {
  assert.ok(loadCausalLM(lm).model instanceof GPTNeoXForCausalLM);
  assert.ok(loadClassifier(classifier).model instanceof RobertaForSequenceClassification);
  assert.equal(loadModel(lm).architecture.kind, 'causal-lm');
  assert.equal(loadModel(classifier).architecture.kind, 'sequence-classifier');
});

test('the other kind is a ModelKindError (a user error) that names the folder, what it holds and the caller\'s hint', () => {
  const refused = (message: RegExp) => (error: unknown) => error instanceof ModelKindError && error instanceof UserError && message.test(error.message);
  assert.throws(() => loadClassifier(lm, 'score needs a classifier'), refused(/gpt-neox-tiny is a GPTNeoXForCausalLM, not a sequence classifier; score needs a classifier$/));
  assert.throws(() => loadCausalLM(classifier), refused(/roberta-tiny-classifier is a RobertaForSequenceClassification, not a causal LM; give a causal language model/));
});
