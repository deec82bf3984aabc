/**
 * Distances between two rewards that ignore what no reward-learning method can determine: a
 * constant per prompt and a positive scale. Each text is one step of an episode — state the
 * prompt x, action the continuation y, then the end — so potential shaping, γΦ(s′) − Φ(s) with
 * Φ = 0 at the end, adds −Φ(x): any function of the prompt. Texts carry the id of their prompt.
 */
import { checkGroups, checkVectors, isConstant, mean, type Vector } from './input.js';

/** Prompt ids, one per text (compared with ===). */
export type GroupIds = ArrayLike<string | number>;

/**
 * Each value minus the mean of its prompt's values. Prompts with one text become 0: their reward
 * is all shaping as far as this sample can tell. A prompt whose values are all equal becomes
 * exactly 0 (the mean is taken as an offset from the first value), so degeneracy is detected
 * exactly, not lost in rounding.
 */
export function canonicaliseByPrompt(reward: Vector, groups: GroupIds): Float64Array {
  const n = checkVectors('canonicaliseByPrompt', { reward });
  checkGroups('canonicaliseByPrompt', groups, n);
  const members = new Map<string | number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = members.get(groups[i]!);
    if (list) list.push(i);
    else members.set(groups[i]!, [i]);
  }
  const canonical = new Float64Array(n);
  for (const indices of members.values()) {
    const first = reward[indices[0]!]!;
    let offset = 0;
    for (const i of indices) offset += reward[i]! - first;
    const promptMean = first + offset / indices.length;
    for (const i of indices) canonical[i] = reward[i]! - promptMean;
  }
  return canonical;
}

/**
 * EPIC (Gleave et al. 2021, "Quantifying Differences in Reward Functions", ICLR): canonicalise
 * each reward, C(R)(s,a,s′) = R(s,a,s′) + E[γR(s′,A,S′) − R(s,A,S′) − γR(S,A,S′)] with S, S′ ~ D_S
 * and A ~ D_A, then take the Pearson distance √((1 − ρ)/2) between C(R_a) and C(R_b) on a
 * coverage distribution. Here an episode is one step, so C(R)(x, y) = R(x, y) − E_Y[R(x, Y)] up to
 * a constant that ρ ignores, and two simplifications follow from having a finite sample: E_Y is
 * the mean over the continuations sampled for that prompt (drawn given the prompt, not from one
 * D_A for all states), and the coverage distribution is the held-out texts, weighted equally.
 * In [0, 1]: 0 when the rewards agree up to a per-prompt constant and a positive scale. Null when
 * either canonical reward is all zeros (constant within every prompt), where ρ is undefined.
 */
export function epicDistance(a: Vector, b: Vector, groups: GroupIds): number | null {
  checkVectors('epicDistance', { a, b });
  return pearsonDistance(canonicaliseByPrompt(a, groups), canonicaliseByPrompt(b, groups));
}

/**
 * √((1 − ρ)/2), computed as ‖x̂ − ŷ‖/2 for x and y centred and scaled to unit length: the same
 * number, without the cancellation in 1 − ρ that would lose half the digits near ρ = 1, where
 * good recovered rewards are. Null when either vector is constant.
 */
function pearsonDistance(x: Float64Array, y: Float64Array): number | null {
  if (isConstant(x) || isConstant(y)) return null;
  return l2Distance(normalise(centre(x)), normalise(centre(y))) / 2;
}

function centre(values: Float64Array): Float64Array {
  const m = mean(values);
  return values.map((v) => v - m);
}

/**
 * STARC (Skalse et al., "STARC: A General Framework For Quantifying Differences Between Reward
 * Functions", arXiv 2309.15257, 2023; ICLR 2024): d(R_a, R_b) = m(s(R_a), s(R_b)) with the
 * standardisation s(R) = c(R) / n(c(R)) — c a canonicalisation that removes potential shaping, n
 * a norm, m a metric — and s(R) = c(R) when n(c(R)) = 0. Ours: c subtracts each prompt's mean
 * (the paper's minimal canonicalisation for the L2 norm, an orthogonal projection, with every
 * sampled text weighted equally), n is the L2 norm over the texts, m the L2 distance.
 * In [0, 2]: 0 when the rewards agree up to a per-prompt constant and a positive scale, √2 when
 * their canonical forms are orthogonal, 2 when opposite. Both canonical forms sum to zero, so the
 * cosine is Pearson's ρ and this is exactly 2 × epicDistance, except that it stays defined when a
 * canonical form is zero: 1 against a non-zero one, 0 when both are zero.
 */
export function starcDistance(a: Vector, b: Vector, groups: GroupIds): number {
  checkVectors('starcDistance', { a, b });
  return l2Distance(normalise(canonicaliseByPrompt(a, groups)), normalise(canonicaliseByPrompt(b, groups)));
}

function l2Distance(x: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += (x[i]! - y[i]!) ** 2;
  return Math.sqrt(sum);
}

/** v / ‖v‖₂, or v itself when it is all zeros (STARC's rule). */
function normalise(values: Float64Array): Float64Array {
  let squares = 0;
  for (const v of values) squares += v * v;
  if (squares === 0) return values;
  const norm = Math.sqrt(squares);
  return values.map((v) => v / norm);
}
