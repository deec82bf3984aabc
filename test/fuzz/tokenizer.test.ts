/**
 * Fuzzing tokenizer folders (tokenizer.json and tokenizer_config.json) with the fixtures' files
 * mutated as bytes and as JSON, pipelines made up from component types, supported or not, and
 * Sequence components nested deep: each input ends in a tokenizer that encodes and decodes a
 * text, or in a TokenizerError.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { Tokenizer } from '../../src/text/index.js';
import { TokenizerError } from '../../src/text/errors.js';
import { fixture, scratch } from '../io/helpers.js';
import { Sample, fuzz, jsonText, mutatedBytes, mutatedJson, nastyJsonValue, utf8, writeInput } from './harness.js';

const folder = scratch();
after(folder.cleanup);

/** A tokenizer folder's two files, and how they were made. */
interface TokenizerFiles {
  tokenizer: Uint8Array;
  config: Uint8Array;
  recipe: string;
}

const read = (name: string, file: string) => readFileSync(fixture(name, file));
const FIXTURES = ['gpt-neox-tiny', 'roberta-tiny-classifier'].map((name) => ({ name, tokenizer: read(name, 'tokenizer.json'), config: read(name, 'tokenizer_config.json') }));
const parsed = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;

const files = (tokenizer: Uint8Array, config: Uint8Array, recipe: string): TokenizerFiles => ({ tokenizer, config, recipe });

const editedTokenizerBytes = fc.oneof(...FIXTURES.map((f) => mutatedBytes(new Sample(f.tokenizer, `${f.name}/tokenizer.json`)).map((s) => files(s.bytes, f.config, s.recipe))));
const editedTokenizerJson = fc.oneof(...FIXTURES.map((f) => mutatedJson(parsed(f.tokenizer)).map(({ value, recipe }) => files(utf8(jsonText(value)), f.config, `${f.name}/tokenizer.json: ${recipe}`))));
const editedConfigJson = fc.oneof(...FIXTURES.map((f) => mutatedJson(parsed(f.config)).map(({ value, recipe }) => files(f.tokenizer, utf8(jsonText(value)), `${f.name}/tokenizer_config.json: ${recipe}`))));

const componentType = (...supported: string[]) => fc.oneof(fc.constantFrom(...supported), fc.string({ maxLength: 8 }));
/** A component: a type (a supported one mostly) and a few fields that may or may not fit it. */
const component = (...types: string[]) =>
  fc.oneof(
    fc.constant(null),
    nastyJsonValue,
    fc.record({ type: componentType(...types), add_prefix_space: fc.boolean(), trim_offsets: fc.boolean(), use_regex: fc.boolean() }, { requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('Sequence'), normalizers: fc.array(fc.record({ type: componentType('NFC', 'Lowercase') })), pretokenizers: fc.array(fc.record({ type: componentType('Whitespace', 'ByteLevel') })) }),
  );
const vocab = fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.oneof(fc.integer({ min: 0, max: 40 }), nastyJsonValue), { minKeys: 1, maxKeys: 30 });
const model = fc.oneof(
  fc.record({ type: fc.constant('BPE'), vocab, merges: fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.tuple(fc.string({ maxLength: 2 }), fc.string({ maxLength: 2 }))), { maxLength: 20 }), unk_token: fc.option(fc.string({ maxLength: 3 })), dropout: fc.option(fc.double()) }, { requiredKeys: ['vocab'] }),
  fc.record({ type: fc.constant('WordPiece'), vocab, unk_token: fc.string({ maxLength: 5 }), max_input_chars_per_word: fc.integer({ min: -1, max: 100 }) }, { requiredKeys: ['type', 'vocab'] }),
  fc.record({ type: fc.constant('Unigram'), vocab: fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.oneof(fc.double({ min: -20, max: 0, noNaN: true }), nastyJsonValue)), { maxLength: 20 }), unk_id: fc.option(fc.integer({ min: -1, max: 30 })) }),
  nastyJsonValue,
);
const addedToken = fc.record({ id: fc.integer({ min: -1, max: 40 }), content: fc.string({ maxLength: 6 }), special: fc.boolean(), normalized: fc.boolean(), lstrip: fc.boolean(), rstrip: fc.boolean(), single_word: fc.boolean() });
const madeUp = fc
  .record({
    model,
    normalizer: component('NFC', 'NFKD', 'Lowercase', 'Strip', 'Prepend', 'Replace', 'BertNormalizer', 'Precompiled'),
    pre_tokenizer: component('ByteLevel', 'Whitespace', 'Metaspace', 'Split', 'Digits', 'Punctuation', 'FixedLength'),
    post_processor: component('ByteLevel', 'TemplateProcessing', 'RobertaProcessing', 'BertProcessing'),
    decoder: component('ByteLevel', 'WordPiece', 'Metaspace', 'BPEDecoder', 'Fuse', 'Strip', 'ByteFallback'),
    added_tokens: fc.oneof(fc.array(addedToken, { maxLength: 4 }), nastyJsonValue),
  })
  .map((tokenizer) => files(utf8(jsonText(tokenizer)), utf8('{}'), `made up ${jsonText(tokenizer).slice(0, 400)}`));

/** Sequence components nested inside each other, as deep as a file can make them. */
const nestedSequences = fc
  .tuple(fc.constantFrom(['normalizer', 'normalizers', '{"type":"NFC"}'], ['pre_tokenizer', 'pretokenizers', '{"type":"Whitespace"}'], ['decoder', 'decoders', '{"type":"Fuse"}']), fc.integer({ min: 1, max: 20_000 }))
  .map(([[section, children, leaf], depth]) => {
    const nested = `{"type":"Sequence","${children}":[`.repeat(depth) + leaf + ']}'.repeat(depth);
    const text = `{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[]},"${section}":${nested}}`;
    return files(utf8(text), utf8('{}'), `${section} Sequence nested ${depth} deep`);
  });

const TEXT = 'Hello world, héllo 世界 <|endoftext|> 123';

test('tokenizer files: every input ends in a working tokenizer or a TokenizerError', async (t) => {
  await fuzz(t, {
    name: 'tokenizer',
    inputs: fc.oneof(editedTokenizerBytes, editedTokenizerJson, editedConfigJson, madeUp, nestedSequences).map((input) => Object.assign(input, { [fc.toStringMethod]: () => input.recipe })),
    parse(input: TokenizerFiles) {
      writeInput(join(folder.dir, 'tokenizer.json'), input.tokenizer);
      writeInput(join(folder.dir, 'tokenizer_config.json'), input.config);
      const tokenizer = Tokenizer.fromFolder(folder.dir);
      return { tokenizer, ids: tokenizer.encode(TEXT) };
    },
    refusals: [TokenizerError],
    bytes: (input) => input.tokenizer.byteLength + input.config.byteLength,
    check(result) {
      // A tokenizer that loaded must encode to valid ids and decode its own output.
      const { tokenizer, ids } = result as { tokenizer: Tokenizer; ids: number[] };
      assert.ok(ids.every((id) => Number.isSafeInteger(id) && id >= 0), `ids are non-negative integers: ${ids.join(', ')}`);
      assert.equal(typeof tokenizer.decode(ids), 'string');
    },
  });
});
