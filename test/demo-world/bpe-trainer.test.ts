import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytesToUnicode, saveTrainedTokenizer, trainByteLevelBpe } from '../../src/text/bpe-trainer.js';
import { Tokenizer } from '../../src/text/index.js';

test('a known tiny corpus gives the expected first merges', () => {
  const bpe = trainByteLevelBpe(['hug hug hug pug pun bun hugs'], { vocabSize: 300 });
  // u+g occurs 5 times; then h+ug 4; then Ġ+hug 3; then a tie at 2 (Ġ+p, u+n) goes to the smaller ids (u n).
  assert.deepEqual(bpe.merges.slice(0, 4), [['u', 'g'], ['h', 'ug'], ['Ġ', 'hug'], ['u', 'n']]);
  assert.equal(bpe.vocab[0], '<|endoftext|>');
  assert.equal(bpe.vocab[1], '<|padding|>');
  assert.equal(bpe.vocab.length, 2 + 256 + bpe.merges.length);
  // Nothing occurs twice any more once only pairs seen once are left.
  assert.ok(bpe.merges.length < 42);
});

test('the byte table is GPT-2’s', () => {
  const table = bytesToUnicode();
  assert.equal(table[0x20], 'Ġ');
  assert.equal(table[0x0a], 'Ċ');
  assert.equal(table[0x41], 'A');
  assert.equal(new Set(table).size, 256);
});

test('training is deterministic and stops at the vocabulary size', () => {
  const corpus = Array.from({ length: 50 }, (_, i) => `The whale number ${i} swam past the ship, and the sailors sang.`);
  const a = trainByteLevelBpe(corpus, { vocabSize: 280 });
  const b = trainByteLevelBpe(corpus, { vocabSize: 280 });
  assert.deepEqual(a, b);
  assert.equal(a.vocab.length, 280);
});

test('the saved tokenizer loads and round-trips arbitrary text', () => {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-bpe-'));
  try {
    const corpus = Array.from({ length: 200 }, (_, i) => `Call me Ishmael. Some years ago—never mind how long precisely (${i})—I went to sea.\n`);
    const bpe = trainByteLevelBpe(corpus, { vocabSize: 400 });
    saveTrainedTokenizer(bpe, dir, { modelMaxLength: 128 });
    const tokenizer = Tokenizer.fromFolder(dir);
    assert.equal(tokenizer.vocabSize, bpe.vocab.length);
    assert.equal(tokenizer.eosTokenId, 0);
    assert.equal(tokenizer.padTokenId, 1);
    const texts = [
      'Call me Ishmael.',
      'Unseen words: zyzzyva, naïve café, 東京, emoji 🐋, tabs\tand\nnewlines  double  spaces ',
      "it's what they'll do; 12345 + 0.5",
      '',
    ];
    for (const text of texts) {
      const ids = tokenizer.encode(text);
      assert.equal(tokenizer.decode(ids), text, `round-trip of ${JSON.stringify(text)}`);
    }
    // Learnt merges are used: a frequent word is a single token.
    assert.ok(tokenizer.encode(' Ishmael').length <= 2, `' Ishmael' → ${tokenizer.tokenize(' Ishmael')}`);
    assert.deepEqual(tokenizer.encode('<|endoftext|>'), [0]);
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    assert.equal(json.pre_tokenizer.type, 'ByteLevel');
    assert.equal(json.model.type, 'BPE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
