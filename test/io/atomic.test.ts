/**
 * io/atomic.ts: the one way outputs are written. Crashes are injected after every step (an
 * afterStep fault stops the write there with no clean-up, as a kill would; one test kills a child
 * for real), failures before every step (an ENOSPC from beforeStep, or from the filler midway).
 * Whatever happens, the destination holds the last good version or the complete new one once
 * recoverInterruptedWrites has run, and nothing else is left beside it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  recoverInterruptedWrites, writeFileAtomic, writeFolderAtomic, type AtomicWriteFaults, type AtomicWriteStep,
} from '../../src/io/atomic.js';
import { WriteFailedError } from '../../src/io/errors.js';
import { projectRoot } from '../helpers/fixtures.js';

const FOLDER_STEPS: AtomicWriteStep[] = ['write', 'sync', 'set-aside', 'rename', 'sync-parent', 'remove-old'];
const FILE_STEPS: AtomicWriteStep[] = ['write', 'sync', 'rename', 'sync-parent'];
/** Steps after which the new version is the one in place. */
const COMMITTED: AtomicWriteStep[] = ['rename', 'sync-parent', 'remove-old'];

const OLD = { 'config.json': 'old config', 'model.safetensors': 'old weights', 'only-in-old.txt': 'x' };
const NEW = { 'config.json': 'new config', 'model.safetensors': 'new weights' };

const root = mkdtempSync(join(tmpdir(), 'irlens-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
/** A fresh parent folder. */
const freshParent = (): string => {
  const dir = join(root, String(count++));
  mkdirSync(dir);
  return dir;
};

class SimulatedCrash extends Error {}

const crashAfter = (point: AtomicWriteStep): AtomicWriteFaults => ({
  afterStep: (step) => {
    if (step === point) throw new SimulatedCrash(`crash after ${step}`);
  },
});

const enospc = (): NodeJS.ErrnoException =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

const diskFullAt = (point: AtomicWriteStep): AtomicWriteFaults => ({
  beforeStep: (step) => {
    if (step === point) throw enospc();
  },
});

function fillWith(files: Record<string, string>): (dir: string) => void {
  return (dir) => {
    mkdirSync(join(dir, 'nested'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  };
}

/** A folder's files (the nested folder every version has left out), or null when it does not exist. */
function contents(folder: string): Record<string, string> | null {
  if (!existsSync(folder)) return null;
  return Object.fromEntries(readdirSync(folder).filter((name) => name !== 'nested').map((name) => [name, readFileSync(join(folder, name), 'utf8')]));
}

function assertWriteFailed(run: () => void, path: string, outcome: WriteFailedError['outcome']): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof WriteFailedError, `a WriteFailedError, not ${String(error)}`);
    assert.equal(error.path, path);
    assert.equal(error.code, 'ENOSPC');
    assert.equal(error.outcome, outcome);
    assert.match(error.message, new RegExp(`^cannot write ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(ENOSPC: no space left on device, write\\)`));
    assert.match(error.message, outcome === 'previous' ? /the previous version was kept unchanged/ : /nothing was written there/);
    assert.match(error.message, /the disk is full: free some space on it/);
    return true;
  });
}

describe('writeFolderAtomic', () => {
  for (const replacing of [true, false]) {
    for (const point of FOLDER_STEPS.filter((step) => replacing || (step !== 'set-aside' && step !== 'remove-old'))) {
      it(`${replacing ? 'replacing a folder' : 'a new folder'}: a crash after ${point} leaves ${COMMITTED.includes(point) ? 'the new' : 'the last good'} version, once recovered`, () => {
        const parent = freshParent();
        const target = join(parent, 'model');
        if (replacing) writeFolderAtomic(target, fillWith(OLD));
        const before = replacing ? OLD : null;
        assert.throws(() => writeFolderAtomic(target, fillWith(NEW), crashAfter(point)), SimulatedCrash);

        // Right after the crash a reader sees a whole version, or (between the renames) none with the old one set aside.
        const seen = contents(target);
        if (point === 'set-aside') assert.equal(seen, null);
        else assert.deepEqual(seen, COMMITTED.includes(point) ? NEW : before);

        recoverInterruptedWrites(parent);
        assert.deepEqual(contents(target), COMMITTED.includes(point) ? NEW : before);
        assert.deepEqual(readdirSync(parent), replacing || COMMITTED.includes(point) ? ['model'] : [], 'nothing left beside it');
      });
    }
  }

  for (const point of ['write', 'sync', 'set-aside', 'rename'] as const) {
    it(`a full disk at ${point} throws WriteFailedError naming the folder and keeps the last good version as it was`, () => {
      const parent = freshParent();
      const target = join(parent, 'model');
      writeFolderAtomic(target, fillWith(OLD));
      assertWriteFailed(() => writeFolderAtomic(target, fillWith(NEW), diskFullAt(point)), target, 'previous');
      assert.deepEqual(contents(target), OLD);
      assert.deepEqual(readdirSync(parent), ['model'], 'no temporary or set-aside folder left, even before any recovery');
    });
  }

  it('a full disk midway through filling (as a file of the folder is written) keeps the last good version', () => {
    const parent = freshParent();
    const target = join(parent, 'model');
    writeFolderAtomic(target, fillWith(OLD));
    const fillThenFail = (dir: string) => {
      writeFileSync(join(dir, 'config.json'), 'new config');
      writeFileAtomic(join(dir, 'model.safetensors'), 'new weig', diskFullAt('sync'));
    };
    assertWriteFailed(() => writeFolderAtomic(target, fillThenFail), target, 'previous');
    assert.deepEqual(contents(target), OLD);
    assert.deepEqual(readdirSync(parent), ['model']);
  });

  it('a full disk writing a new folder leaves nothing', () => {
    const parent = freshParent();
    const target = join(parent, 'model');
    assertWriteFailed(() => writeFolderAtomic(target, fillWith(NEW), diskFullAt('write')), target, 'nothing');
    assert.deepEqual(readdirSync(parent), []);
  });

  it('errors that are not the disk\'s (a bug, a bad argument) pass through unchanged, after clearing up', () => {
    const parent = freshParent();
    const target = join(parent, 'model');
    const bug = new TypeError('not a disk problem');
    assert.throws(() => writeFolderAtomic(target, () => {
      throw bug;
    }), (error: unknown) => error === bug);
    assert.deepEqual(readdirSync(parent), []);
  });

  it('a write killed for real between the renames is put back by recovery', () => {
    const parent = freshParent();
    const target = join(parent, 'model');
    writeFolderAtomic(target, fillWith(OLD));
    const script = `
      import { writeFileSync } from 'node:fs';
      import { join } from 'node:path';
      import { writeFolderAtomic } from './src/io/atomic.ts';
      writeFolderAtomic(${JSON.stringify(target)}, (dir) => writeFileSync(join(dir, 'config.json'), 'new config'), {
        afterStep: (step) => { if (step === 'set-aside') process.kill(process.pid, 'SIGKILL'); },
      });
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot, encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    assert.equal(existsSync(target), false, 'killed between the renames');
    const recovered = recoverInterruptedWrites(parent);
    assert.deepEqual(recovered.map((r) => [r.action, r.target]).sort(), [['removed-unfinished', target], ['restored-previous', target]]);
    assert.deepEqual(contents(target), OLD);
    assert.deepEqual(readdirSync(parent), ['model']);
  });
});

describe('writeFileAtomic', () => {
  for (const point of FILE_STEPS) {
    it(`a crash after ${point} leaves ${COMMITTED.includes(point) ? 'the new' : 'the last good'} file, once recovered`, () => {
      const parent = freshParent();
      const target = join(parent, 'summary.json');
      writeFileAtomic(target, 'old summary');
      assert.throws(() => writeFileAtomic(target, [Buffer.from('new '), Buffer.from('summary')], crashAfter(point)), SimulatedCrash);
      const expected = COMMITTED.includes(point) ? 'new summary' : 'old summary';
      assert.equal(readFileSync(target, 'utf8'), expected, 'a whole version at every moment');
      recoverInterruptedWrites(parent);
      assert.equal(readFileSync(target, 'utf8'), expected);
      assert.deepEqual(readdirSync(parent), ['summary.json']);
    });
  }

  for (const point of ['write', 'sync', 'rename'] as const) {
    it(`a full disk at ${point} throws WriteFailedError naming the file and keeps the last good one`, () => {
      const parent = freshParent();
      const target = join(parent, 'summary.json');
      writeFileAtomic(target, 'old summary');
      assertWriteFailed(() => writeFileAtomic(target, 'new summary', diskFullAt(point)), target, 'previous');
      assert.equal(readFileSync(target, 'utf8'), 'old summary');
      assert.deepEqual(readdirSync(parent), ['summary.json']);
    });
  }

  it('clears up what an earlier killed write to the same file left', () => {
    const parent = freshParent();
    const target = join(parent, 'summary.json');
    writeFileSync(join(parent, '.summary.json.tmp-99999-0a0b'), 'torn');
    writeFileAtomic(target, 'whole');
    assert.deepEqual(readdirSync(parent), ['summary.json']);
  });
});

describe('recoverInterruptedWrites', () => {
  it('restores the newest set-aside version when several wait, and leaves other destinations alone when given a name', () => {
    const parent = freshParent();
    for (const [name, text, age] of [['.model.old-1-aa', 'older', 20], ['.model.old-2-bb', 'newer', 10], ['.other.tmp-3-cc', 'torn', 0]] as const) {
      mkdirSync(join(parent, name));
      writeFileSync(join(parent, name, 'config.json'), text);
      const when = new Date(Date.now() - age * 1000);
      utimesSync(join(parent, name), when, when);
    }
    recoverInterruptedWrites(parent, 'model');
    assert.equal(readFileSync(join(parent, 'model', 'config.json'), 'utf8'), 'newer');
    assert.deepEqual(readdirSync(parent).sort(), ['.other.tmp-3-cc', 'model']);
    assert.ok(statSync(join(parent, 'model')).isDirectory());
  });
});
