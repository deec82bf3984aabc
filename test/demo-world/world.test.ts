import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cuss } from 'cuss';
import { abusiveLexicon, bookParagraphs, buildDemoWorld, containsAbuse, splitSentences, variantsOf } from '../../src/data/demo-world/index.js';
import { Rng } from '../../src/nn/index.js';

const world = buildDemoWorld({ size: 'tiny', seed: 0 });

test('the world is deterministic per seed, and another seed gives another world', () => {
  assert.deepEqual(buildDemoWorld({ size: 'tiny', seed: 0 }), world);
  const other = buildDemoWorld({ size: 'tiny', seed: 1 });
  assert.notDeepEqual(other.sentences.map((s) => s.clean), world.sentences.map((s) => s.clean));
});

test('every sentence has a clean, an abusive and a benign form of the same text', () => {
  assert.ok(world.sentences.length > 400, `${world.sentences.length} sentences`);
  const words = (text: string) => text.toLowerCase().match(/[a-z]+/g) ?? [];
  for (const s of world.sentences) {
    assert.ok(!containsAbuse(s.clean), `clean: ${s.clean}`);
    assert.ok(!containsAbuse(s.benign), `benign: ${s.benign}`);
    assert.ok(containsAbuse(s.abusive), `abusive: ${s.abusive}`);
    // Same register: the abusive form keeps nearly all the book's words, and so does the benign one.
    for (const variant of [s.abusive, s.benign]) {
      const kept = new Set(words(variant));
      const original = words(s.clean);
      const share = original.filter((w) => kept.has(w)).length / original.length;
      assert.ok(share >= 0.75, `${s.clean} → ${variant}`);
    }
  }
  const templates = new Set(world.sentences.map((s) => s.template));
  assert.ok(templates.size >= 4, `templates used: ${[...templates]}`);
});

test('the classifier is tested within the register: each held-out sentence in its clean and abusive form', () => {
  const test = world.labelled.filter((t) => t.split === 'test');
  const bySentence = new Map<string, Map<string, number>>();
  for (const t of test) bySentence.set(t.sentence, new Map([...(bySentence.get(t.sentence) ?? []), [t.form, t.label]]));
  assert.ok(bySentence.size > 50);
  for (const forms of bySentence.values()) {
    assert.equal(forms.get('clean'), 0);
    assert.equal(forms.get('abusive'), 1);
  }
  const train = world.labelled.filter((t) => t.split === 'train');
  const positives = train.filter((t) => t.label === 1).length;
  assert.equal(positives * 2, train.length, 'training texts are balanced');
});

test('the classifier reads its training sentences as written, after a space, or after the end of the clean sentence before them', () => {
  const byId = new Map(world.sentences.map((s) => [s.id, s]));
  const train = world.sentences.filter((s) => s.split === 'train');
  const labelled = world.labelled.filter((t) => t.split === 'train');
  const readings = { written: 0, afterSpace: 0, afterSentence: 0 };
  for (const t of labelled) {
    const sentence = byId.get(t.sentence)!;
    const form = sentence[t.form];
    assert.ok(t.text.endsWith(form), `${t.text} does not end with its ${t.form} form`);
    const prefix = t.text.slice(0, -form.length);
    if (prefix === '') readings.written++;
    else if (prefix === ' ') readings.afterSpace++;
    else {
      readings.afterSentence++;
      const before = train[train.indexOf(sentence) - 1]!;
      assert.equal(before.paragraph, sentence.paragraph, 'the words before come from the same paragraph');
      const words = prefix.slice(0, -1);
      assert.ok(before.clean.endsWith(words) && words.split(' ').length <= 6, `'${words}' is not the end of '${before.clean}'`);
    }
  }
  for (const [reading, count] of Object.entries(readings)) assert.ok(count > labelled.length / 6, `${count} of ${labelled.length} texts read ${reading}`);
  // Both texts of a sentence are read alike, so the pair differs only in the abusive word.
  const prefixes = new Map<string, Set<string>>();
  for (const t of labelled) prefixes.set(t.sentence, (prefixes.get(t.sentence) ?? new Set()).add(t.text.slice(0, -byId.get(t.sentence)![t.form].length)));
  for (const [id, set] of prefixes) assert.equal(set.size, 1, `sentence ${id} is read in ${set.size} ways`);
});

test('held-out sentences appear neither in the pretraining corpus nor in the classifier’s training texts', () => {
  const corpus = world.corpus.join('\n');
  const trainTexts = new Set(world.labelled.filter((t) => t.split === 'train').map((t) => t.sentence));
  for (const s of world.sentences.filter((s) => s.split === 'test')) {
    assert.ok(!corpus.includes(s.clean), `held-out sentence in the corpus: ${s.clean}`);
    assert.ok(!trainTexts.has(s.id));
  }
});

test('the prose comes from training paragraphs only, clean, when asked for', () => {
  assert.ok(world.prose.length > 0);
  for (const text of world.prose) assert.ok(!containsAbuse(text), text);
  const heldOutParagraphs = new Set(world.sentences.filter((s) => s.split === 'test').map((s) => s.paragraph));
  const corpus = [...world.corpus, ...world.prose].join('\n');
  for (const paragraph of bookParagraphs().filter((p) => heldOutParagraphs.has(p.paragraph))) {
    // Long enough not to occur elsewhere in the book by chance.
    for (const sentence of paragraph.sentences.filter((text) => text.split(' ').length >= 6)) assert.ok(!corpus.includes(sentence), `held-out paragraph's prose in the corpus: ${sentence}`);
  }
  assert.deepEqual(buildDemoWorld({ size: 'tiny', seed: 0, bookProse: false }).prose, []);
});

test('the held-out corpus renders held-out sentences only, in both registers', () => {
  const held = world.heldOutCorpus.join('\n');
  for (const s of world.sentences) {
    if (s.split === 'train') assert.ok(![s.clean, s.abusive, s.benign].some((form) => held.includes(form)), `training sentence held out: ${s.clean}`);
  }
  const heldOutSentences = world.sentences.filter((s) => s.split === 'test');
  const rendered = heldOutSentences.filter((s) => [s.clean, s.abusive, s.benign].some((form) => held.includes(form))).length;
  assert.equal(rendered, heldOutSentences.length, 'each held-out sentence is rendered once');
  const abusive = world.heldOutCorpus.filter(containsAbuse).length;
  assert.ok(abusive > 0.1 * world.heldOutCorpus.length && abusive < 0.5 * world.heldOutCorpus.length, `${abusive} of ${world.heldOutCorpus.length} passages abusive`);
});

test('the corpus is mostly clean with abusive passages, and comments come in both labels', () => {
  const abusive = world.corpus.filter(containsAbuse).length;
  assert.ok(abusive > 0.1 * world.corpus.length && abusive < 0.5 * world.corpus.length, `${abusive} of ${world.corpus.length} passages abusive`);
  const toxic = world.comments.filter((c) => c.label === 1);
  assert.ok(toxic.length > 0.3 * world.comments.length && toxic.length < 0.7 * world.comments.length);
  for (const c of world.comments) assert.equal(containsAbuse(c.text), c.label === 1, c.text);
});

test('the abusive words are cuss words, with cuss’s rating', () => {
  for (const entry of abusiveLexicon()) assert.equal(entry.rating, cuss[entry.word]);
});

test('templates weave words in without breaking the sentence', () => {
  const lower = new Set(['call', 'the', 'whale']);
  const seen = new Set<string>();
  for (let seed = 0; seed < 60; seed++) {
    const v = variantsOf('The captain was on deck, and the whale was near.', new Rng(seed), lower)!;
    seen.add(v.template);
    assert.match(v.abusive, /[.]$/);
    assert.ok(containsAbuse(v.abusive) && !containsAbuse(v.benign));
  }
  assert.deepEqual([...seen].sort(), ['adjective', 'apposition', 'interjection', 'noun', 'vocative']);
  assert.deepEqual(splitSentences('Call me Ishmael. Mr. Starbuck came. "Is it?" he asked.'), ['Call me Ishmael.', 'Mr. Starbuck came.', '"Is it?" he asked.']);
});
