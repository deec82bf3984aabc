/**
 * A disk that fills up: every output irlens writes (a stage's files, a training checkpoint) goes
 * through io/atomic.ts, and on a full disk it must fail with a WriteFailedError that names the
 * destination (not a hidden temporary), says the disk is full and what to do, leaves the previous
 * version (the last good checkpoint, the last completed stage) as it was with nothing beside it,
 * and reaches the command line as the user's to fix (exit 1). Freeing space and running again works.
 *
 * Each case runs on two small disks: a tmpfs mounted for the test (skipped, saying why, where
 * mounting is not permitted), and always a simulated one, a folder whose files may take a budget
 * of bytes: the write that passes it goes to /dev/full instead, so the error is the kernel's ENOSPC.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { describeError } from '../../src/cli/errors.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { WriteFailedError } from '../../src/io/errors.js';
import { configSchemaFor, defineStage, readStageMarker, resolveConfig, runPipeline, s, StageFailedError } from '../../src/pipeline/index.js';
import { loadLatestTrainingCheckpoint, trainCausalLM } from '../../src/train/index.js';
import { seededModel, tinyConfig } from '../helpers/tiny-gpt.js';
import { assertOnlyCheckpoint, gptTokenizer, weightsOf } from '../train/helpers.js';

/** A folder on a small disk whose free space a test sets. */
interface SmallDisk {
  dir: string;
  /** Fills the disk until about `bytes` are left. */
  leaveFree(bytes: number): void;
  /** Frees what leaveFree filled. */
  freeUp(): void;
  remove(): void;
}

/** A tmpfs of 2 MiB mounted on a fresh folder, or the reason it cannot be. */
function tmpfsDisk(): SmallDisk | string {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-tmpfs-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mount.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || `exit ${mount.status}`).trim()}); the simulated disk still runs every case`;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    leaveFree(bytes) {
      rmSync(filler, { force: true });
      const { bavail, bsize } = statfsSync(dir);
      writeFileSync(filler, Buffer.alloc(Math.max(0, Math.floor((bavail * bsize - bytes) / bsize) * bsize)));
    },
    freeUp: () => rmSync(filler, { force: true }),
    remove() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A folder whose files may take `budget` bytes more: fs.openSync and fs.writeSync are replaced
 * (for every module, through syncBuiltinESMExports) to count what is written to files under it;
 * a write that would pass the budget writes what fits, and the next one is sent to /dev/full.
 */
function simulatedDisk(): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-small-disk-'));
  const full = fs.openSync('/dev/full', 'w');
  const { openSync, closeSync, writeSync } = fs;
  const onDisk = new Set<number>();
  let budget = Infinity;
  mock.method(fs, 'openSync', (...args: Parameters<typeof openSync>) => {
    const fd = openSync(...args);
    if (String(args[0]).startsWith(dir + sep)) onDisk.add(fd);
    return fd;
  });
  mock.method(fs, 'closeSync', (fd: number) => {
    onDisk.delete(fd);
    closeSync(fd);
  });
  mock.method(fs, 'writeSync', (fd: number, data: Uint8Array | string, ...rest: number[]) => {
    const write = writeSync as (fd: number, data: Uint8Array | string, ...rest: number[]) => number;
    if (!onDisk.has(fd)) return write(fd, data, ...rest);
    const [offset = 0, length = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength - offset] = typeof data === 'string' ? [] : rest;
    if (length <= budget) {
      budget -= length;
      return write(fd, data, ...rest);
    }
    if (budget === 0 || typeof data === 'string') return write(full, data, ...rest); // throws ENOSPC
    const fitting = budget;
    budget = 0;
    return write(fd, data, offset, fitting);
  });
  syncBuiltinESMExports();
  return {
    dir,
    leaveFree: (bytes) => (budget = bytes),
    freeUp: () => (budget = Infinity),
    remove() {
      mock.restoreAll();
      syncBuiltinESMExports();
      closeSync(full);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A WriteFailedError for `path` on a full disk, saying what is left there; its text on the command line, exit 1. */
function assertDiskFull(error: unknown, path: string, outcome: WriteFailedError['outcome'], cliError: unknown = error): asserts error is WriteFailedError {
  assert.ok(error instanceof WriteFailedError, `a WriteFailedError, not ${String(error)}`);
  assert.deepEqual([error.path, error.code, error.outcome], [path, 'ENOSPC', outcome]);
  const left = outcome === 'previous' ? 'the previous version was kept unchanged' : 'nothing was written there';
  const expected = `cannot write ${path} (ENOSPC: no space left on device, write); ${left}; the disk is full: free some space on it (or write somewhere else) and run again`;
  assert.equal(error.message, expected);
  const { code, text } = describeError(cliError);
  assert.equal(code, 1, 'a problem the user can fix');
  assert.match(text, new RegExp(`^irlens: (stage \\S+ failed: )?${escape(expected)}\n$`));
}

const tokenizer = gptTokenizer();
const texts = Array.from({ length: 40 }, () => 'the quick brown fox jumps over the lazy dog.');

/** One stage writing `bytes` bytes to out.bin, as a stage writes its outputs. */
const writer = defineStage({
  name: 'writer',
  dependsOn: [],
  configKey: 'writer',
  configSchema: s.object({ bytes: s.integer({ min: 1, default: 1000 }) }),
  run(ctx) {
    writeFileAtomic(join(ctx.dir, 'out.bin'), [new Uint8Array(ctx.config.bytes).fill(7)]);
    return { bytes: ctx.config.bytes };
  },
});
const schema = configSchemaFor([writer]);
const writerConfig = (bytes: number) => resolveConfig({ schema, overrides: ['name=disk-full', `writer.bytes=${bytes}`] });

// Mounted now, to know whether to skip its cases; the simulated disk replaces fs functions, so only once its cases run.
const tmpfs = tmpfsDisk();
const disks: [string, () => SmallDisk, string | false][] = [
  ['a 2 MiB tmpfs', () => tmpfs as SmallDisk, typeof tmpfs === 'string' ? tmpfs : false],
  ['a simulated disk (/dev/full past a byte budget)', simulatedDisk, false],
];

for (const [name, makeDisk, skip] of disks) {
  describe(`a full disk: ${name}`, { skip }, () => {
    let disk: SmallDisk;
    let count = 0;
    const freshDir = () => {
      const dir = join(disk.dir, String(count++));
      mkdirSync(dir);
      return dir;
    };
    before(() => (disk = makeDisk()));
    after(() => disk.remove());

    it('a file replaced on it: the old one stays, no temporary is left, and it can be written once space is freed', () => {
      const dir = freshDir();
      const target = join(dir, 'summary.json');
      writeFileAtomic(target, 'old summary');
      disk.leaveFree(1000);
      assert.throws(() => writeFileAtomic(target, 'x'.repeat(256 * 1024)), (error: unknown) => (assertDiskFull(error, target, 'previous'), true));
      assert.equal(readFileSync(target, 'utf8'), 'old summary');
      assert.deepEqual(readdirSync(dir), ['summary.json']);
      disk.freeUp();
      writeFileAtomic(target, 'new summary');
      assert.equal(readFileSync(target, 'utf8'), 'new summary');
    });

    it('a training checkpoint: the disk fills after the first; the run stops naming the new one, and resumes from the first', () => {
      const checkpoints = freshDir();
      const options = () => ({
        model: seededModel(tinyConfig({ vocab_size: tokenizer.vocabSize }), 1), tokenizer, texts, blockSize: 16, batchSize: 4, maxSteps: 3,
        learningRate: 1e-2, evalFraction: 0, seed: 3, checkpointDir: checkpoints, checkpointEvery: 1,
      });
      const run = options();
      let atStep1 = new Map<string, Float32Array>();
      const onProgress = ({ step }: { step: number }) => {
        if (step !== 1) return;
        atStep1 = weightsOf(run.model);
        disk.leaveFree(64 * 1024); // a checkpoint of this model takes about 600 KB
      };
      assert.throws(() => trainCausalLM({ ...run, onProgress }), (error: unknown) => (assertDiskFull(error, join(checkpoints, 'step-00000002'), 'nothing'), true));
      assertOnlyCheckpoint(checkpoints, 1, atStep1);
      disk.freeUp();
      const resumed = trainCausalLM(options());
      assert.deepEqual([resumed.resumedFromStep, resumed.steps, loadLatestTrainingCheckpoint(checkpoints)!.step], [1, 3, 3]);
    });

    it("a pipeline stage's outputs: the stage fails naming its folder, and its last completed version stays", async () => {
      const runDir = join(freshDir(), 'run');
      await runPipeline([writer], writerConfig(1000), runDir);
      const stageDir = join(runDir, 'writer');
      const completed = readStageMarker(stageDir);
      disk.leaveFree(64 * 1024);
      await assert.rejects(runPipeline([writer], writerConfig(512 * 1024), runDir), (error: unknown) => {
        assert.ok(error instanceof StageFailedError, String(error));
        assertDiskFull(error.cause, stageDir, 'previous', error);
        return true;
      });
      assert.deepEqual(readStageMarker(stageDir), completed);
      assert.equal(readFileSync(join(stageDir, 'out.bin')).length, 1000);
      assert.deepEqual(readdirSync(runDir).filter((entry) => entry.startsWith('.writer.')), [], 'no unfinished stage folder left');
      disk.freeUp();
      const again = await runPipeline([writer], writerConfig(512 * 1024), runDir);
      assert.equal(again.stages[0]!.status, 'ran');
      assert.equal(readFileSync(join(stageDir, 'out.bin')).length, 512 * 1024);
    });
  });
}
