import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/nn/index.js';
import { blockBatch, fingerprint, packDocuments, splitHeldOut } from '../../src/train/index.js';
import { gptTokenizer } from './helpers.js';

describe('packing documents into blocks', () => {
  it('puts eos after every text and cuts whole blocks that share one token at each seam', () => {
    const packed = packDocuments([[5, 6], [7], [8, 9, 10]], 0, 3);
    assert.deepEqual([...packed.stream], [5, 6, 0, 7, 0, 8, 9, 10, 0]);
    assert.equal(packed.count, 2, '9 tokens give (9 − 1) / 3 = 2 whole blocks');
    assert.equal(packed.droppedTokens, 2);
    const { inputs, targets } = blockBatch(packed, [1, 0]);
    assert.deepEqual([...inputs], [7, 0, 8, 5, 6, 0], 'block 1 then block 0, each 3 inputs');
    assert.deepEqual([...targets], [0, 8, 9, 6, 0, 7], 'targets are the inputs shifted by one');
  });

  it('packs tokenised text with the tokenizer\'s eos between texts, every block full', () => {
    const tokenizer = gptTokenizer();
    const texts = ['the quick brown fox', 'jumps over', 'the lazy dog.'];
    const docs = texts.map((t) => tokenizer.encode(t, { addSpecialTokens: false }));
    const packed = packDocuments(docs, tokenizer.eosTokenId!, 4);
    const eosAt = [...packed.stream].flatMap((id, i) => (id === tokenizer.eosTokenId ? [i] : []));
    assert.deepEqual(eosAt, [docs[0]!.length, docs[0]!.length + docs[1]!.length + 1, packed.stream.length - 1]);
    assert.equal(tokenizer.decode(packed.stream), `${texts[0]}<|endoftext|>${texts[1]}<|endoftext|>${texts[2]}<|endoftext|>`);
    const all = Array.from({ length: packed.count }, (_, i) => i);
    const { inputs, targets } = blockBatch(packed, all);
    assert.equal(inputs.length, packed.count * 4);
    assert.equal(targets.length, packed.count * 4);
    assert.equal(packed.count * 4 + 1 + packed.droppedTokens, packed.stream.length);
    assert.ok(packed.droppedTokens < 4);
  });

  it('makes no block from too few tokens', () => {
    assert.equal(packDocuments([[1, 2]], 0, 3).count, 0);
    assert.equal(packDocuments([], 0, 3).count, 0);
  });
});

describe('the held-out split', () => {
  it('is seeded, keeps each label\'s share, and never holds out everything', () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ id: i, label: i < 30 ? 'a' : 'b' }));
    const first = splitHeldOut(items, 0.2, new Rng(1), (x) => x.label);
    const again = splitHeldOut(items, 0.2, new Rng(1), (x) => x.label);
    assert.deepEqual(first, again);
    assert.equal(first.heldOut.filter((x) => x.label === 'a').length, 6);
    assert.equal(first.heldOut.filter((x) => x.label === 'b').length, 2);
    assert.equal(first.train.length + first.heldOut.length, 40);
    assert.notDeepEqual(splitHeldOut(items, 0.2, new Rng(2)).heldOut, first.heldOut);
    assert.equal(splitHeldOut([1], 0.5, new Rng(1)).heldOut.length, 0);
    assert.equal(splitHeldOut([1, 2, 3], 0, new Rng(1)).train.length, 3);
  });

  it('fingerprints data by content and order', () => {
    assert.equal(fingerprint([[1, 2], [3]]), fingerprint([[1, 2], [3]]));
    assert.notEqual(fingerprint([[1, 2], [3]]), fingerprint([[1], [2, 3]]));
    assert.notEqual(fingerprint([[1, 2]], [[3]]), fingerprint([[1, 2], [3]]));
  });
});
