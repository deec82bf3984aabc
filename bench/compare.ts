/**
 * Runs `npm run bench` and the PyTorch peer (../shared/bench/torch_peer.py) one after the other
 * on this machine and prints both with their ratios, so a comparison never mixes machines.
 *
 *   npm run bench:compare -- --python /path/to/venv/bin/python [--only k1,k2] [--reps N]
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({
  options: { python: { type: 'string', default: process.env.IRLENS_PEER_PYTHON ?? 'python3' }, only: { type: 'string', default: '' }, reps: { type: 'string', default: '5' } },
});
const root = fileURLToPath(new URL('..', import.meta.url));
const passOn = ['--reps', values.reps!, ...(values.only ? ['--only', values.only] : [])];

function lastJsonLine(command: string, args: string[]): Record<string, number | string> {
  const child = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

const ours = lastJsonLine(process.execPath, ['--import', 'tsx', 'bench/bench.ts', ...passOn]);
const peer = lastJsonLine(values.python!, ['../shared/bench/torch_peer.py', ...passOn]);
// Throughputs are better when higher, times and memory when lower; the ratio is always ours/peer.
const higherIsBetter = (key: string) => key.endsWith('_gflops') || key.endsWith('_tok_s') || key.endsWith('_texts_s');
const ratios: Record<string, number> = {};
for (const [key, value] of Object.entries(ours)) {
  const theirs = peer[key];
  if (typeof value !== 'number' || typeof theirs !== 'number') continue;
  ratios[key] = value / theirs;
  console.log(`${key.padEnd(20)} irlens ${value.toPrecision(4).padStart(10)}   torch ${theirs.toPrecision(4).padStart(10)}   ratio ${ratios[key]!.toFixed(2)} (${higherIsBetter(key) ? 'higher' : 'lower'} is better)`);
}
console.log(JSON.stringify({ irlens: ours, torch: peer, ratio: ratios }));
