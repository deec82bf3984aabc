import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Tokenizer, TokenizerFileError, TokenizerOptionsError, UnsupportedTokenizerError, flattenBatch,
} from '../../src/text/index.js';
import { fixture, readIntMatrix, readJson } from './fixtures.js';

interface Gpt2Golden { text: string; ids: number[]; decoded: string }
interface ModelGolden { prompts?: string[]; texts?: string[]; padding_side: 'left' | 'right'; pad_token_id?: number }

describe('GPT-2 tokenizer (goldens from the Rust tokenizers library)', () => {
  let gpt2: Tokenizer;
  const goldens = readJson<Gpt2Golden[]>(fixture('tokenizer-gpt2', 'golden.json'));
  before(() => {
    gpt2 = Tokenizer.fromFolder(fixture('tokenizer-gpt2'));
  });

  for (const golden of goldens) {
    it(`encodes and decodes ${JSON.stringify(golden.text)}`, () => {
      assert.deepEqual(gpt2.encode(golden.text), golden.ids);
      assert.equal(gpt2.decode(golden.ids), golden.decoded);
      assert.equal(gpt2.decode(gpt2.encode(golden.text)), golden.text);
    });
  }

  it('knows its vocabulary and special tokens', () => {
    assert.equal(gpt2.vocabSize, 50257);
    assert.equal(gpt2.tokenToId('<|endoftext|>'), 50256);
    assert.equal(gpt2.idToToken(15496), 'Hello');
    assert.equal(gpt2.idToToken(995), 'Ġworld');
    assert.equal(gpt2.idToToken(999999), undefined);
    assert.equal(gpt2.tokenToId('no such token'), undefined);
    assert.deepEqual(gpt2.tokenize('Hello world'), ['Hello', 'Ġworld']);
    assert.equal(gpt2.numSpecialTokensToAdd, 0);
    assert.equal(gpt2.padTokenId, undefined, 'no tokenizer_config.json, no pad token');
    assert.equal(gpt2.modelMaxLength, undefined);
    assert.ok(gpt2.specialTokenIds.has(50256));
  });

  it('matches special tokens before pre-tokenization, anywhere in the text', () => {
    assert.deepEqual(gpt2.encode('a<|endoftext|>b'), [64, 50256, 65]);
    assert.deepEqual(gpt2.encode('<|endoftext|>', { addSpecialTokens: false }), [50256]);
    assert.equal(gpt2.decode([50256, 8499, 2041], { skipSpecialTokens: true }), 'after special');
    assert.equal(gpt2.decode([50256, 8499, 2041]), '<|endoftext|>after special');
  });

  it('decodes like the Rust library at the edges', () => {
    assert.equal(gpt2.decode([]), '');
    assert.equal(gpt2.decode([50256], { skipSpecialTokens: true }), '');
    assert.equal(gpt2.decode(Int32Array.from([15496, 995])), 'Hello world');
    assert.equal(gpt2.decode([15496, 60000, 995]), 'Hello world', 'ids outside the vocabulary are skipped');
    // 12520 is "Ġ" + the first two bytes of a four-byte emoji: the cut sequence becomes one U+FFFD.
    assert.equal(gpt2.decode([12520]), ' \uFFFD', 'an incomplete UTF-8 sequence becomes U+FFFD');
    assert.equal(gpt2.decode([15496, 764]), 'Hello .', 'no clean-up of spaces unless the config asks');
    assert.equal(gpt2.decode([15496, 764], { cleanUpTokenizationSpaces: true }), 'Hello.');
    assert.throws(() => gpt2.decode([-100]), TokenizerOptionsError);
    assert.throws(() => gpt2.decode([1.5]), TokenizerOptionsError);
  });

  it('needs a pad token to pad, and takes one from the caller', () => {
    assert.throws(
      () => gpt2.encodeBatch(['a', 'a b'], { padding: 'longest' }),
      (error: unknown) => error instanceof TokenizerOptionsError && /no pad token/.test(error.message),
    );
    const withCallPad = gpt2.encodeBatch(['Hello world', 'Hello'], { padding: 'longest', padTokenId: 50256 });
    assert.deepEqual(withCallPad.ids, [[15496, 995], [15496, 50256]]);
    const eosPadded = Tokenizer.fromFolder(fixture('tokenizer-gpt2'), { padToken: '<|endoftext|>' });
    assert.equal(eosPadded.padTokenId, 50256);
    eosPadded.setPadToken(0);
    assert.equal(eosPadded.padTokenId, 0);
    assert.throws(() => eosPadded.setPadToken('<never-seen>'), TokenizerFileError);
    assert.throws(() => eosPadded.setPadToken(10 ** 7), TokenizerOptionsError);
  });
});

const decoderFixtures = ['gpt-neox-tiny', 'gpt-neox-tiny-bin', 'gpt-neox-tiny-fp16', 'gpt-neox-tiny-sharded', 'llama-tiny'];

describe('model fixtures: batches equal the goldens\' input_ids and attention_mask', () => {
  for (const name of [...decoderFixtures, 'roberta-tiny-classifier']) {
    it(name, () => {
      const tokenizer = Tokenizer.fromFolder(fixture(name));
      const golden = readJson<ModelGolden>(fixture(name, 'golden.json'));
      const texts = golden.prompts ?? golden.texts!;
      const expectedIds = readIntMatrix(fixture(name, 'golden.safetensors'), 'input_ids');
      const expectedMask = readIntMatrix(fixture(name, 'golden.safetensors'), 'attention_mask');
      if (golden.pad_token_id !== undefined) assert.equal(tokenizer.padTokenId, golden.pad_token_id);
      assert.equal(tokenizer.paddingSide, golden.padding_side, 'default padding side from tokenizer_config.json');
      const batch = tokenizer.encodeBatch(texts, { padding: 'longest' });
      assert.deepEqual(batch.ids, expectedIds);
      assert.deepEqual(batch.attentionMask, expectedMask);
      assert.deepEqual(batch.shape, [expectedIds.length, expectedIds[0]!.length]);
      const flat = flattenBatch(batch);
      assert.deepEqual(Array.from(flat.ids), expectedIds.flat());
      assert.deepEqual(Array.from(flat.attentionMask), expectedMask.flat());
      for (const [i, text] of texts.entries()) {
        const decoded = tokenizer.decode(batch.ids[i]!, { skipSpecialTokens: true });
        assert.equal(decoded.trimStart(), text);
      }
    });
  }
});

describe('GPT-NeoX fixture tokenizer', () => {
  const neox = Tokenizer.fromFolder(fixture('gpt-neox-tiny'));

  it('reads special tokens from tokenizer_config.json', () => {
    assert.equal(neox.vocabSize, 512);
    assert.equal(neox.eosTokenId, 0);
    assert.equal(neox.bosTokenId, 0);
    assert.equal(neox.padTokenId, 1);
    assert.equal(neox.modelMaxLength, undefined, 'the 1e30 placeholder means no limit');
    assert.deepEqual(neox.encode('The whale'), [53, 259, 378]);
    assert.equal(neox.decode([53, 259, 378, 0, 1], { skipSpecialTokens: true }), 'The whale');
    assert.equal(neox.decode([53, 259, 378, 570]), 'The whale', 'ids of the padded embedding table are skipped');
  });

  it('pads right and left, to the longest row or to maxLength', () => {
    const texts = ['The whale', 'Call me Ishmael.'];
    const long = neox.encode(texts[1]!);
    const right = neox.encodeBatch(texts, { padding: 'longest', paddingSide: 'right' });
    assert.deepEqual(right.ids[0], [53, 259, 378, ...new Array(long.length - 3).fill(1)]);
    assert.deepEqual(right.attentionMask[0], [1, 1, 1, ...new Array(long.length - 3).fill(0)]);
    assert.deepEqual(right.ids[1], long);
    assert.deepEqual(right.lengths, [3, long.length]);
    const left = neox.encodeBatch(texts, { padding: 'max_length', maxLength: 12, paddingSide: 'left' });
    assert.deepEqual(left.shape, [2, 12]);
    assert.deepEqual(left.ids[0], [...new Array(9).fill(1), 53, 259, 378]);
    assert.deepEqual(left.attentionMask[0], [...new Array(9).fill(0), 1, 1, 1]);
    const ragged = neox.encodeBatch(texts);
    assert.deepEqual(ragged.ids, [[53, 259, 378], long]);
    assert.equal(ragged.shape, null);
    assert.throws(() => flattenBatch(ragged), TokenizerOptionsError);
    const empty = neox.encodeBatch([], { padding: 'longest' });
    assert.deepEqual(empty, { ids: [], attentionMask: [], lengths: [], shape: [0, 0] });
  });

  it('truncates right and left', () => {
    const full = neox.encode('Call me Ishmael. Some years ago');
    assert.deepEqual(neox.encode('Call me Ishmael. Some years ago', { truncation: true, maxLength: 4 }), full.slice(0, 4));
    assert.deepEqual(
      neox.encode('Call me Ishmael. Some years ago', { truncation: true, maxLength: 4, truncationSide: 'left' }),
      full.slice(-4),
    );
    const batch = neox.encodeBatch(['Call me Ishmael. Some years ago', 'The whale'], {
      truncation: true, maxLength: 5, padding: 'max_length', paddingSide: 'left',
    });
    assert.deepEqual(batch.ids, [full.slice(0, 5), [1, 1, 53, 259, 378]]);
    assert.deepEqual(batch.attentionMask, [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]]);
  });

  it('rejects impossible options with clear errors', () => {
    assert.throws(() => neox.encode('The whale', { truncation: true }), /needs maxLength/);
    assert.throws(() => neox.encodeBatch(['The whale'], { padding: 'max_length' }), TokenizerOptionsError);
    assert.throws(
      () => neox.encodeBatch(['Call me Ishmael. Some years ago'], { padding: 'max_length', maxLength: 3 }),
      /longer than the padding length 3; ask for truncation/,
    );
    assert.throws(() => neox.encode('x', { truncation: true, maxLength: -1 }), TokenizerOptionsError);
    assert.throws(() => neox.encode(undefined as unknown as string), TokenizerOptionsError);
  });
});

describe('RoBERTa fixture tokenizer', () => {
  const roberta = Tokenizer.fromFolder(fixture('roberta-tiny-classifier'));

  it('adds <s> … </s> unless asked not to', () => {
    const ids = roberta.encode('a');
    assert.deepEqual(ids, [0, 263, 2]);
    assert.deepEqual(roberta.encode('a', { addSpecialTokens: false }), [263]);
    assert.deepEqual(roberta.encode(''), [0, 2]);
    assert.equal(roberta.numSpecialTokensToAdd, 2);
    assert.equal(roberta.bosTokenId, 0);
    assert.equal(roberta.eosTokenId, 2);
    assert.equal(roberta.padTokenId, 1);
    assert.equal(roberta.unkTokenId, 3);
    assert.equal(roberta.decode(ids), '<s> a</s>', 'add_prefix_space puts a space before the first word');
    assert.equal(roberta.decode(ids, { skipSpecialTokens: true }), ' a');
  });

  it('matches added tokens inside text', () => {
    // The added token splits the text first; add_prefix_space then applies to each piece.
    const ids = roberta.encode('a<mask>a', { addSpecialTokens: false });
    assert.deepEqual(ids, [263, 4, 263]);
    assert.equal(roberta.decode(ids), ' a<mask> a');
  });

  it('keeps <s> and </s> when truncating, on either side', () => {
    const full = roberta.encode('you are a wonderful person');
    assert.ok(full.length > 6);
    const right = roberta.encode('you are a wonderful person', { truncation: true, maxLength: 5 });
    assert.deepEqual(right, [0, ...full.slice(1, 4), 2]);
    const left = roberta.encode('you are a wonderful person', { truncation: true, maxLength: 5, truncationSide: 'left' });
    assert.deepEqual(left, [0, ...full.slice(-4, -1), 2]);
    assert.deepEqual(roberta.encode('you are', { truncation: true, maxLength: 2 }), [0, 2]);
    assert.throws(() => roberta.encode('you', { truncation: true, maxLength: 1 }), /shorter than the 2 special tokens/);
    const batch = roberta.encodeBatch(['you are a wonderful person', 'a'], {
      truncation: true, maxLength: 4, padding: 'longest',
    });
    assert.deepEqual(batch.ids, [[0, full[1]!, full[2]!, 2], [0, 263, 2, 1]]);
    assert.deepEqual(batch.attentionMask, [[1, 1, 1, 1], [1, 1, 1, 0]]);
  });
});

describe('SentencePiece-style BPE (Metaspace, byte fallback, TemplateProcessing)', () => {
  // A hand-made tokenizer.json in the layout of Llama/Mistral tokenizers.
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const pieces = ['▁', 'h', 'i', '▁h', '▁hi', 'w', '▁w'];
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (const token of [...bytes, ...pieces]) vocab[token] = Object.keys(vocab).length;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab,
      merges: [['▁', 'h'], ['▁h', 'i'], ['▁', 'w']],
    },
  };
  const config = { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', model_max_length: 8 };
  const tokenizer = Tokenizer.fromJson(json, config);

  it('encodes with a bos token, merges, and byte fallback for unknown characters', () => {
    const ids = tokenizer.encode('hi w!');
    // <s> ▁hi ▁w then '!' (0x21) falls back to its byte token.
    assert.deepEqual(ids, [1, vocab['▁hi']!, vocab['▁w']!, vocab['<0x21>']!]);
    assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'hi w!');
    assert.deepEqual(tokenizer.encode('é', { addSpecialTokens: false }), [vocab['▁']!, vocab['<0xC3>']!, vocab['<0xA9>']!]);
    // As in Llama: Strip removes the leading space of the whole text, which here starts with <s>.
    assert.equal(tokenizer.decode(tokenizer.encode('é')), '<s> é');
    assert.equal(tokenizer.decode(tokenizer.encode('é'), { skipSpecialTokens: true }), 'é');
  });

  it('uses model_max_length for truncation and keeps the bos token', () => {
    assert.equal(tokenizer.modelMaxLength, 8);
    assert.equal(tokenizer.numSpecialTokensToAdd, 1);
    const ids = tokenizer.encode('hi hi hi hi hi hi hi hi', { truncation: true });
    assert.equal(ids.length, 8);
    assert.equal(ids[0], 1);
    assert.equal(tokenizer.padTokenId, undefined);
  });
});

describe('errors a user can cause', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'irlens-text-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const minimal = (override: Record<string, unknown>) => ({
    version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: 'BPE', dropout: null, unk_token: null, vocab: { a: 0 }, merges: [] },
    ...override,
  });

  it('names a missing file or folder', () => {
    const missing = join(dir, 'nowhere', 'tokenizer.json');
    assert.throws(() => Tokenizer.fromFile(missing), (e: unknown) =>
      e instanceof TokenizerFileError && e.file === missing && /file not found/.test(e.message));
    assert.throws(() => Tokenizer.fromFolder(join(dir, 'nowhere')), TokenizerFileError);
  });

  it('names a corrupt file', () => {
    const file = join(dir, 'corrupt.json');
    writeFileSync(file, '{"model": {"type": "BPE", "vocab": {');
    assert.throws(() => Tokenizer.fromFile(file), (e: unknown) =>
      e instanceof TokenizerFileError && e.message.startsWith(file) && /not valid JSON/.test(e.message));
    writeFileSync(file, '[1, 2]');
    assert.throws(() => Tokenizer.fromFile(file), TokenizerFileError);
  });

  it('refuses a model whose unk token is not in its vocabulary (an unsplittable word would have no id)', () => {
    const unknown = (model: Record<string, unknown>) => () => Tokenizer.fromJson(minimal({ model }), {}, 'x/tokenizer.json');
    const refused = (e: unknown) => e instanceof TokenizerFileError && /unk_token "\[UNK\]" is not in its "vocab"/.test(e.message);
    // Found by fuzzing: WordPiece's unk token defaults to [UNK] when the file names none.
    assert.throws(unknown({ type: 'WordPiece', vocab: { ' ': 0 } }), refused);
    assert.throws(unknown({ type: 'BPE', unk_token: '[UNK]', vocab: { a: 0 }, merges: [] }), refused);
    assert.doesNotThrow(unknown({ type: 'WordPiece', vocab: { '[UNK]': 0, a: 1 } }));
  });

  it('names an unsupported component and its type', () => {
    assert.throws(
      () => Tokenizer.fromJson(minimal({ model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' } }), {}, 'x/tokenizer.json'),
      (e: unknown) => e instanceof UnsupportedTokenizerError && e.component === 'model' &&
        /x\/tokenizer\.json: unsupported model: type "WordLevel"/.test(e.message),
    );
    assert.throws(
      () => Tokenizer.fromJson(minimal({
        pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'ByteLevel' }, { type: 'UnicodeScripts' }] },
      })),
      (e: unknown) => e instanceof UnsupportedTokenizerError && e.component === 'pre_tokenizer.pretokenizers[1]' &&
        /UnicodeScripts/.test(e.message),
    );
    assert.throws(() => Tokenizer.fromJson(minimal({ decoder: { type: 'Mystery' } })), UnsupportedTokenizerError);
    assert.throws(
      () => Tokenizer.fromJson(minimal({ model: { type: 'BPE', dropout: 0.1, vocab: { a: 0 }, merges: [] } })),
      /dropout/,
    );
    assert.throws(() => Tokenizer.fromJson({ version: '1.0' }), /no "model" object/);
  });

  it('names a component nested 100,000 deep in a short message (found by fuzzing: it overflowed the stack)', () => {
    const deep = JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)) as unknown;
    assert.throws(() => Tokenizer.fromJson(minimal({ normalizer: deep })), (e: unknown) =>
      e instanceof UnsupportedTokenizerError && /expected an object with a "type" field, got \{"a":\{"a":.{60,}…$/.test(e.message));
  });

  it('refuses Sequence components nested thousands deep (found by fuzzing: a stack overflow)', () => {
    const nested = (depth: number) => JSON.parse('{"type":"Sequence","normalizers":['.repeat(depth) + '{"type":"NFC"}' + ']}'.repeat(depth)) as unknown;
    assert.equal(Tokenizer.fromJson(minimal({ normalizer: nested(3) })).encode('a', { addSpecialTokens: false }).length, 1);
    assert.throws(() => Tokenizer.fromJson(minimal({ normalizer: nested(5000) })), (e: unknown) =>
      e instanceof UnsupportedTokenizerError && /Sequence components nested more than 16 deep; flatten them/.test(e.message));
  });

  it('names a post-processor without its fields (found by fuzzing: a TypeError at load)', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ type: 'RobertaProcessing' }, /RobertaProcessing needs "sep" and "cls" as \[token, id\] pairs, got sep undefined/],
      [{ type: 'BertProcessing', sep: ['a', 0], cls: 'a' }, /BertProcessing needs "sep" and "cls"/],
      [{ type: 'TemplateProcessing' }, /TemplateProcessing needs "single"/],
      [{ type: 'Sequence', processors: [{ type: 'TemplateProcessing', single: [{ Sequence: {} }] }] }, /post_processor.processors\[0\]: TemplateProcessing needs "single"/],
    ];
    for (const [postProcessor, problem] of cases) {
      assert.throws(() => Tokenizer.fromJson(minimal({ post_processor: postProcessor })), (e: unknown) => e instanceof UnsupportedTokenizerError && problem.test(e.message));
    }
  });

  it('names vocabulary ids and added tokens that are not ids (found by fuzzing: encode returned them)', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ model: { type: 'BPE', vocab: { a: 'x' }, merges: [] } }, /"vocab" gives the token "a" the id "x"; ids are non-negative integers/],
      [{ model: { type: 'WordPiece', vocab: { a: 0.5 }, unk_token: 'a' } }, /the id 0.5/],
      [{ model: { type: 'BPE', vocab: ['a'], merges: [] } }, /"vocab" is \["a"\]; expected an object mapping tokens to ids/],
      [{ model: { type: 'Unigram', vocab: [['a', 'x']] } }, /Unigram model's "vocab"\[0\] is \["a","x"\]; expected a \[piece, score\] pair/],
      [{ added_tokens: [{ id: -1, content: 'a' }] }, /"added_tokens"\[0\] is \{"id":-1,"content":"a"\}/],
    ];
    for (const [override, problem] of cases) {
      assert.throws(() => Tokenizer.fromJson(minimal(override)), (e: unknown) => e instanceof TokenizerFileError && problem.test(e.message));
    }
  });

  it('names a special token the vocabulary lacks', () => {
    assert.throws(
      () => Tokenizer.fromJson(minimal({}), { pad_token: '<pad>' }),
      (e: unknown) => e instanceof TokenizerFileError && /pad_token "<pad>" is not in the vocabulary/.test(e.message),
    );
  });

  it('accepts special tokens written as AddedToken objects in tokenizer_config.json', () => {
    const tokenizer = Tokenizer.fromJson(minimal({}), { eos_token: { content: 'a', __type: 'AddedToken' } });
    assert.equal(tokenizer.eosTokenId, 0);
  });
});
