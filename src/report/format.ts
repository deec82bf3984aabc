/** How numbers read in the report: a spread with every mean, dashes for what is undefined. */
import type { Interval, SeedSummary } from '../eval/index.js';

const DASH = '—';

/** Counts as they are; three decimals for figures near 1, fewer for large ones (raw distances). */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  if (Number.isInteger(x) && Math.abs(x) >= 1) return String(x);
  const size = Math.abs(x);
  return x.toFixed(size >= 100 ? 1 : size >= 10 ? 2 : 3);
}

export function formatInterval(interval: Pick<Interval, 'low' | 'high'> | null | undefined): string {
  return interval ? `[${formatNumber(interval.low)}, ${formatNumber(interval.high)}]` : DASH;
}

/** "0.493 ± 0.099"; a single run says so rather than showing a spread it does not have. */
export function formatMeanSd(summary: SeedSummary | undefined): string {
  if (summary === undefined || summary.n === 0 || summary.mean === null) return DASH;
  if (summary.n === 1 || summary.sd === null) return `${formatNumber(summary.mean)} (1 run)`;
  return `${formatNumber(summary.mean)} ± ${formatNumber(summary.sd)}`;
}

export function formatPercent(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? DASH : `${(100 * x).toFixed(1)}%`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
