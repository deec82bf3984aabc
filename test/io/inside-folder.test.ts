/**
 * A model folder is read only from inside: shard names, tokenizer files and config.json that lead
 * out of it by `..`, an absolute path or a symlink are refused with an OutsideFolderError naming
 * the entry, while links inside the folder and the hub cache's links into blobs/ still work.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OutsideFolderError, insideFolder, loadCheckpoint, readConfig, writeSafetensors, type TensorRecord } from '../../src/io/index.js';
import { missingFromSnapshot } from '../../src/io/hub.js';
import { Tokenizer } from '../../src/text/index.js';
import { fixture, scratch } from './helpers.js';

const area = scratch();
after(area.cleanup);
let folders = 0;

/** A fresh model folder inside the scratch area, and a folder beside it that counts as outside. */
function setup(): { model: string; outside: string } {
  const base = join(area.dir, `case-${folders++}`);
  const model = join(base, 'model');
  const outside = join(base, 'model-elsewhere');
  mkdirSync(model, { recursive: true });
  mkdirSync(outside, { recursive: true });
  return { model, outside };
}

const tensors = (name: string): [string, TensorRecord][] => [[name, { dtype: 'float32', shape: [1], data: Float32Array.of(1) }]];
const reference = { file: 'index.json', entry: "weight_map entry 'w'" };

function assertOutside(fn: () => unknown, entry: string, target: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof OutsideFolderError, `expected an OutsideFolderError, got ${String(error)}`);
    assert.equal(error.entry, entry);
    assert.match(error.target, target);
    assert.match(error.message, new RegExp(`${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} leads to .*, outside the model folder`));
    return true;
  });
}

describe('insideFolder', () => {
  it('returns the path of a name inside the folder, also of a sub-folder or a file that does not exist yet', () => {
    const { model } = setup();
    writeFileSync(join(model, 'a.safetensors'), '');
    assert.equal(insideFolder(model, 'a.safetensors', reference), join(model, 'a.safetensors'));
    assert.equal(insideFolder(model, 'sub/b.safetensors', reference), join(model, 'sub', 'b.safetensors'));
    assert.equal(insideFolder(model, 'missing.safetensors', reference), join(model, 'missing.safetensors'));
  });

  it('refuses ../ names, absolute paths and a sibling folder whose name starts like the folder', () => {
    const { model, outside } = setup();
    assertOutside(() => insideFolder(model, '../x.safetensors', reference), "weight_map entry 'w'", /^\.\.\/x\.safetensors$/);
    assertOutside(() => insideFolder(model, 'sub/../../x', reference), "weight_map entry 'w'", /x$/);
    assertOutside(() => insideFolder(model, '/etc/passwd', reference), "weight_map entry 'w'", /^\/etc\/passwd$/);
    assertOutside(() => insideFolder(model, join(outside, 'x'), reference), "weight_map entry 'w'", /model-elsewhere/);
  });

  it('follows symlinks: one to a file outside is refused, one inside is fine, as is a folder reached by a link', () => {
    const { model, outside } = setup();
    writeFileSync(join(outside, 'secret'), 'x');
    writeFileSync(join(model, 'real.safetensors'), 'x');
    symlinkSync(join(outside, 'secret'), join(model, 'leak.safetensors'));
    symlinkSync('real.safetensors', join(model, 'alias.safetensors'));
    symlinkSync(outside, join(model, 'sub'));
    assertOutside(() => insideFolder(model, 'leak.safetensors', reference), "weight_map entry 'w'", /model-elsewhere\/secret$/);
    assertOutside(() => insideFolder(model, 'sub/secret', reference), "weight_map entry 'w'", /model-elsewhere\/secret$/);
    assert.equal(insideFolder(model, 'alias.safetensors', reference), join(model, 'alias.safetensors'));
    const linkedFolder = join(model, '..', 'model-link');
    symlinkSync(model, linkedFolder);
    assert.equal(insideFolder(linkedFolder, 'alias.safetensors', reference), join(linkedFolder, 'alias.safetensors'));
  });

  it("accepts the hub cache's links from a snapshot into its repo's blobs/, and no other repo's", () => {
    const { model: repo } = setup();
    const snapshot = join(repo, 'snapshots', 'a'.repeat(40));
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(join(repo, 'blobs'));
    writeFileSync(join(repo, 'blobs', 'etag'), 'x');
    symlinkSync('../../blobs/etag', join(snapshot, 'config.json'));
    assert.equal(insideFolder(snapshot, 'config.json', reference), join(snapshot, 'config.json'));
    const other = join(repo, '..', 'other-repo', 'blobs');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'etag'), 'x');
    symlinkSync(join(other, 'etag'), join(snapshot, 'tokenizer.json'));
    assertOutside(() => insideFolder(snapshot, 'tokenizer.json', reference), "weight_map entry 'w'", /other-repo\/blobs\/etag$/);
  });
});

describe('loaders refuse files outside the model folder', () => {
  it('a shard index whose weight_map leads out by ../, an absolute path or a symlink', () => {
    const { model, outside } = setup();
    writeSafetensors(join(outside, 'shard.safetensors'), tensors('w'));
    const index = join(model, 'model.safetensors.index.json');
    for (const shard of ['../model-elsewhere/shard.safetensors', join(outside, 'shard.safetensors')]) {
      writeFileSync(index, JSON.stringify({ weight_map: { w: shard } }));
      assertOutside(() => loadCheckpoint(model), "weight_map entry 'w'", /shard\.safetensors$/);
    }
    symlinkSync(join(outside, 'shard.safetensors'), join(model, 'linked.safetensors'));
    writeFileSync(index, JSON.stringify({ weight_map: { w: 'linked.safetensors' } }));
    assertOutside(() => loadCheckpoint(model), "weight_map entry 'w'", /model-elsewhere\/shard\.safetensors$/);
    // The hub layer reads the same index to tell what a snapshot lacks: it is not complete.
    writeFileSync(join(model, 'config.json'), '{}');
    assert.equal(missingFromSnapshot(model), 'a readable model.safetensors.index.json');
  });

  it('weights, config.json and tokenizer files that are symlinks out of the folder', () => {
    const { model, outside } = setup();
    writeSafetensors(join(outside, 'model.safetensors'), tensors('w'));
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(fixture('gpt-neox-tiny', name), join(outside, name));
    symlinkSync(join(outside, 'model.safetensors'), join(model, 'model.safetensors'));
    assertOutside(() => loadCheckpoint(model), 'model.safetensors', /model-elsewhere\/model\.safetensors$/);
    symlinkSync(join(outside, 'config.json'), join(model, 'config.json'));
    assertOutside(() => readConfig(model), 'config.json', /model-elsewhere\/config\.json$/);
    symlinkSync(join(outside, 'tokenizer.json'), join(model, 'tokenizer.json'));
    assertOutside(() => Tokenizer.fromFolder(model), 'tokenizer.json', /model-elsewhere\/tokenizer\.json$/);
  });

  it('tokenizer_config.json alone linked out of an otherwise fine tokenizer folder', () => {
    const { model, outside } = setup();
    copyFileSync(fixture('gpt-neox-tiny', 'tokenizer.json'), join(model, 'tokenizer.json'));
    copyFileSync(fixture('gpt-neox-tiny', 'tokenizer_config.json'), join(outside, 'tokenizer_config.json'));
    symlinkSync(join(outside, 'tokenizer_config.json'), join(model, 'tokenizer_config.json'));
    assertOutside(() => Tokenizer.fromFolder(model), 'tokenizer_config.json', /model-elsewhere\/tokenizer_config\.json$/);
  });
});
