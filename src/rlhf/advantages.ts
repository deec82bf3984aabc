/**
 * Advantages and returns for PPO over response tokens: generalized advantage estimation and the
 * whitening applied to the advantages. Mirrors trlx's PPOConfig.get_advantages_and_returns and
 * trlx.utils.modeling.whiten (CarperAI/trlx @ 3340c2f3a56d1d14fdd5f13ad575121fa26b6d92).
 *
 * Where irlens differs from trlx, on purpose:
 * - trlx runs the GAE recursion over the padded length with no mask. It gets terminal rows right
 *   only because its collate function pads rewards and values with 0. irlens reads the mask, so
 *   whatever a padded slot holds (a value head's output on a pad token, say) cannot leak into a
 *   real token's advantage: the value after a row's last real token is 0 (terminal) and padded
 *   positions get advantage 0 and return 0.
 * - trlx whitens the advantages inside get_advantages_and_returns; here whitening is its own step
 *   (`whiten(advantages, mask)`), and the returns stay unwhitened in both.
 * - trlx whitens over every position, padding included (its zeros pull the mean and variance);
 *   irlens whitens over the real tokens only.
 */
import { RlhfError } from './errors.js';
import { type ResponseMask, checkBatchSize, realLengths } from './response-mask.js';

export interface GaeOptions {
  /** Discount γ per token (trlx default 1). */
  gamma: number;
  /** GAE λ (trlx default 0.95). */
  lam: number;
}

/**
 * GAE over [batch, length] per-token rewards and values (row-major):
 * δₜ = rₜ + γ·Vₜ₊₁ − Vₜ and Aₜ = δₜ + γλ·Aₜ₊₁, with V and A taken as 0 after a row's last real
 * token — as in trlx, a row that reached the length limit without EOS is treated as terminal too.
 * Returns are Aₜ + Vₜ (trlx), the value head's regression target.
 */
export function generalizedAdvantageEstimate(
  rewards: Float32Array,
  values: Float32Array,
  mask: ResponseMask,
  batch: number,
  length: number,
  { gamma, lam }: GaeOptions,
): { advantages: Float32Array; returns: Float32Array } {
  checkBatchSize('rewards', rewards, batch, length);
  checkBatchSize('values', values, batch, length);
  if (!(gamma >= 0 && gamma <= 1) || !(lam >= 0 && lam <= 1)) {
    throw new RlhfError(`GAE needs gamma and lam in [0, 1], got gamma ${gamma} and lam ${lam}`);
  }
  const lengths = realLengths(mask, batch, length);
  const advantages = new Float32Array(batch * length);
  const returns = new Float32Array(batch * length);
  for (let row = 0; row < batch; row++) {
    const offset = row * length;
    let nextValue = 0;
    let nextAdvantage = 0;
    // Padded positions (t ≥ real length) keep their zeros.
    for (let t = lengths[row]! - 1; t >= 0; t--) {
      const value = values[offset + t]!;
      const delta = rewards[offset + t]! + gamma * nextValue - value;
      nextAdvantage = delta + gamma * lam * nextAdvantage;
      nextValue = value;
      advantages[offset + t] = nextAdvantage;
      returns[offset + t] = nextAdvantage + value;
    }
  }
  return { advantages, returns };
}

export interface WhitenOptions {
  /** When false the mean is added back, so only the scale is normalised (trlx's shift_mean). */
  shiftMean?: boolean;
}

/**
 * (x − mean)·rsqrt(var + 1e-8) over the real tokens, with trlx's variance: torch.var_mean's
 * default, the unbiased (n − 1) estimate. Padded positions come out 0. With fewer than two real
 * tokens the unbiased variance is undefined (torch gives NaN); here it is taken as 0, so the lone
 * token whitens to 0 (or to itself when shiftMean is false) instead of poisoning the loss.
 */
export function whiten(values: Float32Array, mask: ResponseMask, { shiftMean = true }: WhitenOptions = {}): Float32Array {
  if (mask.length !== values.length) throw new RlhfError(`whiten: ${values.length} values but a mask of ${mask.length}`);
  let count = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask[i] === 0) continue;
    count++;
    sum += values[i]!;
  }
  const mean = count > 0 ? sum / count : 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) if (mask[i] !== 0) squares += (values[i]! - mean) ** 2;
  const variance = count > 1 ? squares / (count - 1) : 0;
  const scale = 1 / Math.sqrt(variance + 1e-8);
  const shift = shiftMean ? 0 : mean;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) if (mask[i] !== 0) out[i] = (values[i]! - mean) * scale + shift;
  return out;
}
