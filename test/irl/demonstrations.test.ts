import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DemonstrationsError, TokenizerMismatchError, TooFewDemonstrationsError, checkDemonstrations, describeContinuations, rewardRows, splitByPrompt, tokenizerFingerprint,
} from '../../src/irl/index.js';
import { Tokenizer } from '../../src/text/index.js';
import { fixture } from '../helpers/fixtures.js';
import { markerDemonstrations } from './marker-task.js';

describe('demonstrations', () => {
  it('pair the i-th expert text of a prompt with its i-th baseline text, with or without the prompt', () => {
    const [prompt] = markerDemonstrations(1, 3, 1).prompts;
    const withPrompt = rewardRows([prompt!], 'prompt+continuation');
    assert.equal(withPrompt.rows.length, 6);
    assert.deepEqual(withPrompt.pairs, [0, 1, 2].map((i) => ({ expert: i, baseline: 3 + i, prompt: 0 })));
    assert.deepEqual(withPrompt.rows[0], [...prompt!.promptIds, ...prompt!.expert[0]!.ids]);
    assert.deepEqual(withPrompt.fromExpert, [true, true, true, false, false, false]);
    assert.deepEqual(withPrompt.groundTruth, [1, 1, 1, -1, -1, -1]);
    assert.deepEqual(rewardRows([prompt!], 'continuation').rows[4], prompt!.baseline[1]!.ids);
  });

  it('split by prompt, seeded, into parts that never share a prompt', () => {
    const prompts = markerDemonstrations(20, 1, 2).prompts;
    const split = splitByPrompt(prompts, { validation: 0.2, test: 0.25 }, 7);
    assert.deepEqual([split.train.length, split.validation.length, split.test.length], [11, 4, 5]);
    const all = [...split.train, ...split.validation, ...split.test];
    assert.equal(new Set(all).size, prompts.length, 'every prompt once');
    assert.deepEqual(splitByPrompt(prompts, { validation: 0.2, test: 0.25 }, 7), split, 'the same seed gives the same split');
    assert.throws(() => splitByPrompt(prompts.slice(0, 2), { validation: 0.2, test: 0.2 }, 7), TooFewDemonstrationsError);
  });

  it('refuse two tokenizers, prompts without both models, and empty texts', () => {
    const demonstrations = markerDemonstrations(2, 1, 3);
    checkDemonstrations(demonstrations);
    assert.throws(() => checkDemonstrations({ ...demonstrations, tokenizers: { expert: 'a', baseline: 'b' } }), TokenizerMismatchError);
    const lopsided = { ...demonstrations, prompts: [{ ...demonstrations.prompts[0]!, baseline: [] }] };
    assert.throws(() => checkDemonstrations(lopsided), DemonstrationsError);
    const empty = [{ prompt: '', promptIds: [], expert: [{ ids: [], text: '' }], baseline: [{ ids: [3], text: '3' }] }];
    assert.throws(() => rewardRows(empty, 'continuation'), DemonstrationsError);
  });

  it('describe one side: mean length in tokens and the share toxic alone (P_tox > 0.5), null when unjudged', () => {
    const judged = [
      { ids: [1, 2, 3, 0], text: 'a', groundTruthContinuation: -0.9 },
      { ids: [1, 0], text: 'b', groundTruthContinuation: -0.5 },
      { ids: [4, 5, 6, 7, 8, 0], text: 'c', groundTruthContinuation: -0.1 },
    ];
    assert.deepEqual(describeContinuations(judged), { texts: 3, meanTokens: 4, toxicShare: 1 / 3 });
    assert.deepEqual(describeContinuations([{ ids: [1], text: 'x' }]), { texts: 1, meanTokens: 1, toxicShare: null });
    assert.deepEqual(describeContinuations([]), { texts: 0, meanTokens: 0, toxicShare: null });
  });

  it('fingerprint a tokenizer by its vocabulary', () => {
    const a = Tokenizer.fromFolder(fixture('gpt-neox-tiny'));
    const b = Tokenizer.fromFolder(fixture('gpt-neox-tiny'));
    const gpt2 = Tokenizer.fromFolder(fixture('tokenizer-gpt2'));
    assert.equal(tokenizerFingerprint(a), tokenizerFingerprint(b));
    assert.notEqual(tokenizerFingerprint(a), tokenizerFingerprint(gpt2));
  });
});
