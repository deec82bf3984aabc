/**
 * The first index whose running sum of weights exceeds target, skipping zero weights; the last
 * positive one when rounding leaves target at or above the final sum. Rng.categorical's search,
 * shared so that a kernel's draw and the Rng's are one definition.
 */
export function indexAtCumulativeWeight(weightOf: (i: number) => number, n: number, target: number): number {
  let cumulative = 0;
  let lastPositive = 0;
  for (let i = 0; i < n; i++) {
    const w = weightOf(i);
    if (w === 0) continue;
    cumulative += w;
    lastPositive = i;
    if (target < cumulative) return i;
  }
  return lastPositive;
}
