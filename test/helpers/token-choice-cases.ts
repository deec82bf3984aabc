/**
 * Batches for the chooseTokens kernel tests (native-kernels and the aarch64 cases). Every batch
 * holds the awkward rows — spread logits, ties (also at the top-k cut), −∞ entries, a row that is
 * all −∞, a NaN row, a +∞ row — under one setting: greedy, temperatures from 0.01 to 100, top-k
 * of 1, 3, vocab − 1, vocab and more, top-p from 1e-9 to 1, suppressed ids (one out of range),
 * with uniforms that include 0 and the largest below 1; and draws whose target sits on a weight,
 * which only an exp rounded as Math.exp decides as the reference does.
 */
import type { TokenChoice } from '../../src/tensor/backend.js';
import { randomFloats as random } from './random-buffers.js';

export interface TokenChoiceCase {
  label: string;
  rows: number;
  vocab: number;
  logits: Float32Array;
  choice: TokenChoice;
  uniforms: number[] | null;
}

const ROW_KINDS = ['spread', 'ties', 'masked', 'dominant', 'all masked', 'NaN', '+Infinity'] as const;

/** One row of each kind, for a vocabulary of `vocab`. */
function awkwardRows(vocab: number, seed: number): Float32Array {
  const logits = new Float32Array(ROW_KINDS.length * vocab);
  ROW_KINDS.forEach((kind, r) => {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    row.set(random(vocab, seed + r, -8, 8));
    if (kind === 'ties') row.forEach((v, i) => { row[i] = Math.round(v / 4); });
    if (kind === 'masked') for (let i = 0; i < vocab; i += 3) row[i] = -Infinity;
    if (kind === 'dominant') { row.fill(0.5); row[vocab >> 1] = 9; }
    if (kind === 'all masked') row.fill(-Infinity);
    if (kind === 'NaN') row[vocab - 1] = Number.NaN;
    if (kind === '+Infinity') row[vocab >> 1] = Infinity;
  });
  return logits;
}

const sample = (settings: Partial<TokenChoice>): TokenChoice =>
  ({ sample: true, temperature: 1, topK: 0, topP: 1, suppressed: [], ...settings });

function choices(vocab: number): Record<string, TokenChoice> {
  return {
    'greedy': { ...sample({}), sample: false },
    'greedy, suppressed': { ...sample({ suppressed: [0, 2, vocab + 5] }), sample: false },
    'sample': sample({}),
    'temperature 0.01': sample({ temperature: 0.01 }),
    'temperature 100': sample({ temperature: 100 }),
    'top-k 1': sample({ topK: 1 }),
    'top-k 3': sample({ topK: 3 }),
    'top-k vocab − 1': sample({ topK: Math.max(1, vocab - 1) }),
    'top-k vocab': sample({ topK: vocab }),
    'top-k vocab + 10': sample({ topK: vocab + 10 }),
    'top-p 1e-9': sample({ topP: 1e-9 }),
    'top-p 0.5': sample({ topP: 0.5 }),
    'top-p 0.99, temperature 30': sample({ topP: 0.99, temperature: 30 }),
    'top-k 5, top-p 0.7, temperature 0.5': sample({ topK: 5, topP: 0.7, temperature: 0.5 }),
    'suppressed, top-p 0.9': sample({ topP: 0.9, suppressed: [vocab >> 1, 0, vocab + 5] }),
  };
}

/** Uniforms in [0, 1) for `rows` rows, with 0 and 1 − 2⁻⁵³ among them. */
function uniforms(rows: number, seed: number): number[] {
  const u = Array.from(random(rows, seed, 0, 1));
  u[0] = 0;
  u[rows - 1] = 1 - 2 ** -53;
  return u;
}

/** The neighbouring double of a positive x: the next larger (up) or the next smaller. */
function nextDouble(x: number, up: boolean): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + (up ? 1n : -1n));
  return view.getFloat64(0);
}

/**
 * Rows [x, 0] with uniforms that put the draw's target on the first token's weight exp(x) (the
 * largest uniform whose target does not pass it), so a weight one ulp off, as the C library's exp
 * gives for about 6% of arguments, changes the token.
 */
function boundaryDraws(rows: number): TokenChoiceCase {
  const logits = new Float32Array(2 * rows);
  const targets = Array.from(random(rows, 77, -20, -0.1), (x, r) => {
    logits[2 * r] = x;
    const weight = Math.exp(logits[2 * r]!);
    let u = weight / (weight + 1);
    while (u * (weight + 1) > weight) u = nextDouble(u, false);
    while (nextDouble(u, true) * (weight + 1) <= weight) u = nextDouble(u, true);
    return u;
  });
  return { label: `boundary draws [${rows},2]`, rows, vocab: 2, logits, choice: sample({}), uniforms: targets };
}

/** Every setting on the awkward rows of each vocabulary size, and draws on a boundary. */
export function tokenChoiceCases(vocabs: readonly number[]): TokenChoiceCase[] {
  const awkward = vocabs.flatMap((vocab) => Object.entries(choices(vocab)).map(([name, choice], i) => ({
    label: `${name} [${ROW_KINDS.length},${vocab}]`,
    rows: ROW_KINDS.length,
    vocab,
    logits: awkwardRows(vocab, vocab + i),
    choice,
    uniforms: choice.sample ? uniforms(ROW_KINDS.length, vocab * 31 + i) : null,
  })));
  return [...awkward, boundaryDraws(400)];
}
