// Token choice for generation (see chooseTokens in src/tensor/backend.ts): per row of logits,
// greedy or a draw after temperature, top-k and top-p from a uniform the host drew, and the
// chosen token's log-probability as log-softmax (softmax.cc) gives it. Each choice is the
// reference's (src/tensor/reference/token-choice.ts) bit for bit, so seeded generations do not
// depend on the backend: the weights use an exp that rounds as V8's Math.exp, every sum runs in
// the reference's order in double, and orders are the reference's total orders. Rows are split
// over threads; each row is one work item.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "kernels.h"
#include "napi_args.h"
#include "parallel_util.h"
#include "row_math.h"

namespace irlens {
namespace {

// The ids of a row without a choice (NoToken in src/tensor/backend.ts).
constexpr int32_t kNanLogit = -1;
constexpr int32_t kAllExcluded = -2;

struct Choice {
  bool sample = false;
  double temperature = 1, top_p = 1;
  int64_t top_k = 0;
  std::vector<int64_t> suppressed;
};

uint32_t HighWord(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return uint32_t(bits >> 32);
}

double FromHighWord(uint32_t high) {
  const uint64_t bits = uint64_t(high) << 32;
  double x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// exp(x) rounded exactly as JavaScript's Math.exp in Node (V8 runs fdlibm's e_exp.c, and this is
// that algorithm), because a weight one ulp off can move a draw that sits on a boundary; the C
// library's exp differs in the last bit for about 6% of arguments. x = k·ln2 + r with |r| ≤ ln2/2
// (ln2 split in two so that k·ln2_hi is exact), exp(r) from a degree-5 rational approximation,
// then scaled by 2^k. Built with -ffp-contract=off, so no multiply-add is fused.
double JsExp(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kP1 = 1.66666666666666019037e-01, kP2 = -2.77777777770155933842e-03,
                   kP3 = 6.61375632143793436117e-05, kP4 = -1.65339022054652515390e-06,
                   kP5 = 4.13813679705723846039e-08;
  const uint32_t high = HighWord(x) & 0x7fffffffu;
  const bool negative = std::signbit(x);
  if (high >= 0x40862e42u) {  // |x| ≥ 709.78: NaN, ±∞, overflow or underflow
    if (std::isnan(x)) return x + x;
    if (std::isinf(x)) return negative ? 0.0 : x;
    if (x > 7.09782712893383973096e+02) return INFINITY;
    if (x < -7.45133219101941108420e+02) return 0.0;
  }
  double hi = 0, lo = 0;
  int k = 0;
  if (high > 0x3fd62e42u) {    // |x| > ln2/2
    if (high < 0x3ff0a2b2u) {  // and |x| < 1.5·ln2: k = ±1
      k = negative ? -1 : 1;
      hi = negative ? x + kLn2Hi : x - kLn2Hi;
      lo = negative ? -kLn2Lo : kLn2Lo;
    } else {
      k = int(kInvLn2 * x + (negative ? -0.5 : 0.5));
      const double t = k;
      hi = x - t * kLn2Hi;
      lo = t * kLn2Lo;
    }
    x = hi - lo;
  } else if (high < 0x3e300000u) {  // |x| < 2^-28
    return 1.0 + x;
  }
  const double t = x * x;
  const double c = x - t * (kP1 + t * (kP2 + t * (kP3 + t * (kP4 + t * kP5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * 0x1p1023;
    return y * FromHighWord(0x3ff00000u + (uint32_t(k) << 20));
  }
  return y * FromHighWord(0x3ff00000u + (uint32_t(k + 1000) << 20)) * 0x1p-1000;
}

struct Candidate {
  float logit;
  int32_t id;
  double weight;
};

// Logit descending, then id ascending: the reference's nucleus order (total, as no NaN is left).
bool ComesBefore(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// Scratch memory of one thread, reused from row to row.
struct Scratch {
  std::vector<float> row, values;
  std::vector<Candidate> candidates;
};

// The largest value of a row without NaN, compiled for each instruction set (the shared row
// helper is inlined into its caller's clone).
IRLENS_CLONES float RowMax(const float* x, int64_t n) { return vec::RowMax(x, n); }

// The first largest logit of a row without NaN, or kAllExcluded when all are −∞.
int32_t Argmax(const float* row, int64_t vocab) {
  const float max = RowMax(row, vocab);
  if (max == -INFINITY) return kAllExcluded;
  return int32_t(std::find(row, row + vocab, max) - row);
}

// The k-th largest logit (1 ≤ k < vocab), ties counted: the top-k cut. For the usual small k, one
// pass keeps the k largest in a min-heap (most logits fail the first comparison); a large k
// selects in a copy of the row instead.
float KthLargest(const std::vector<float>& row, int64_t k, std::vector<float>& values) {
  if (k > 1024) {
    values.assign(row.begin(), row.end());
    std::nth_element(values.begin(), values.begin() + (k - 1), values.end(), std::greater<float>());
    return values[k - 1];
  }
  values.assign(row.begin(), row.begin() + k);
  std::make_heap(values.begin(), values.end(), std::greater<float>());
  for (size_t i = size_t(k); i < row.size(); ++i) {
    if (row[i] <= values.front()) continue;
    std::pop_heap(values.begin(), values.end(), std::greater<float>());
    values.back() = row[i];
    std::push_heap(values.begin(), values.end(), std::greater<float>());
  }
  return values.front();
}

// The candidates (logits ≥ threshold) in id order, with their weights exp((logit − max) / T).
void Gather(const std::vector<float>& row, float threshold, float max, double temperature,
            std::vector<Candidate>& out) {
  out.clear();
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] >= threshold) out.push_back({row[i], int32_t(i), JsExp((double(row[i]) - double(max)) / temperature)});
  }
}

// Sorts the nucleus to the front of the candidates and returns its size: in ComesBefore order,
// the candidates before the first i ≥ 1 whose predecessors' weights sum to ≥ top_p · (all
// weights summed in id order). Sorts only as far as needed: 256, then 4× more at a time.
size_t Nucleus(std::vector<Candidate>& c, double top_p) {
  double total = 0;
  for (const Candidate& x : c) total += x.weight;
  double before = 0;
  size_t sorted = 0;
  for (size_t want = 256;; want *= 4) {
    const size_t end = std::min(want, c.size());
    if (end < c.size()) std::nth_element(c.begin() + sorted, c.begin() + end, c.end(), ComesBefore);
    std::sort(c.begin() + sorted, c.begin() + end, ComesBefore);
    for (; sorted < end; ++sorted) {
      if (sorted > 0 && before >= top_p * total) return sorted;
      before += c[sorted].weight;
    }
    if (end == c.size()) return end;
  }
}

// Rng.categorical's draw over the first n candidates: target = uniform · Σ weights, then the
// first of positive weight whose running sum exceeds it, or the last of positive weight.
int32_t Draw(const std::vector<Candidate>& c, size_t n, double uniform) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += c[i].weight;
  const double target = uniform * total;
  double cumulative = 0;
  size_t last_positive = 0;
  for (size_t i = 0; i < n; ++i) {
    if (c[i].weight == 0) continue;
    cumulative += c[i].weight;
    last_positive = i;
    if (target < cumulative) return c[i].id;
  }
  return c[last_positive].id;
}

int32_t Sample(Scratch& s, const Choice& choice, double uniform) {
  const std::vector<float>& row = s.row;
  const int64_t vocab = int64_t(row.size());
  const float max = RowMax(row.data(), vocab);
  // All −∞ leaves nothing to draw; a +∞ logit has no finite weight.
  if (std::isinf(max)) return kAllExcluded;
  const bool top_k = choice.top_k > 0 && choice.top_k < vocab;
  const float threshold = top_k ? KthLargest(row, choice.top_k, s.values) : -INFINITY;
  Gather(row, threshold, max, choice.temperature, s.candidates);
  const size_t kept = choice.top_p < 1 ? Nucleus(s.candidates, choice.top_p) : s.candidates.size();
  return Draw(s.candidates, kept, uniform);
}

IRLENS_CLONES bool HasNaN(const float* x, int64_t n) {
  vec::I16 nan{};
  int64_t i = 0;
  for (; i + vec::kWidth <= n; i += vec::kWidth) {
    const vec::F16 v = vec::Load(x + i);
    nan |= v != v;
  }
  if (i < n) {
    const vec::F16 v = vec::LoadPartial(x + i, n - i, 0.f);
    nan |= v != v;
  }
  for (int lane = 0; lane < vec::kWidth; ++lane)
    if (nan[lane]) return true;
  return false;
}

// The row's token, from a copy with the suppressed ids at −∞.
int32_t ChooseRow(const float* raw, int64_t vocab, const Choice& choice, double uniform, Scratch& s) {
  if (HasNaN(raw, vocab)) return kNanLogit;
  s.row.assign(raw, raw + vocab);
  for (int64_t id : choice.suppressed)
    if (id >= 0 && id < vocab) s.row[id] = -INFINITY;
  return choice.sample ? Sample(s, choice, uniform) : Argmax(s.row.data(), vocab);
}

// log-softmax(x)[id], as SoftmaxRows writes it (the same clone of the same row code).
IRLENS_CLONES float LogSoftmaxAt(const float* x, int64_t cols, int32_t id) {
  const vec::LogSoftmaxShift shift = vec::RowLogSoftmaxShift(x, cols);
  return (x[id] - shift.max) - shift.log_sum;
}

void ChooseRows(const float* logits, const double* uniforms, int64_t r0, int64_t r1, int64_t vocab,
                const Choice& choice, int32_t* ids, float* log_probs) {
  Scratch scratch;
  for (int64_t r = r0; r < r1; ++r) {
    const float* raw = logits + r * vocab;
    const int32_t id = ChooseRow(raw, vocab, choice, uniforms ? uniforms[r] : 0, scratch);
    ids[r] = id;
    log_probs[r] = id < 0 ? NAN : LogSoftmaxAt(raw, vocab, id);
  }
}

// Checks the choice's settings; sampling needs positive finite temperature, topP in (0, 1] and
// one uniform per row.
void CheckChoice(Args& a, const Choice& c, const std::vector<double>& uniforms, int64_t rows) {
  if (!a.ok() || !c.sample) return;
  if (!(c.temperature > 0 && std::isfinite(c.temperature))) a.Fail("temperature must be positive and finite");
  else if (!(c.top_p > 0 && c.top_p <= 1)) a.Fail("topP must be in (0, 1]");
  else if (int64_t(uniforms.size()) != rows) {
    a.Fail("sampling needs one uniform per row: got " + std::to_string(uniforms.size()) + " for " +
           std::to_string(rows) + " rows");
  }
}

Napi::Value ChooseTokens(const Napi::CallbackInfo& info) {
  // (logits, rows, vocab, sample, temperature, topK, topP, suppressed, uniforms, ids, logProbs)
  Args a(info, "chooseTokens", 11);
  FloatView logits = a.Floats(0, "logits");
  int64_t rows = a.Integer(1, "rows"), vocab = a.Integer(2, "vocab");
  Choice choice;
  choice.sample = a.Bool(3, "sample");
  choice.temperature = a.Number(4, "temperature");
  choice.top_k = a.Integer(5, "topK");
  choice.top_p = a.Number(6, "topP");
  choice.suppressed = a.IntList(7, "suppressed");
  const std::vector<double> uniforms = a.NumberList(8, "uniforms", true);
  IntView ids = a.Ints(9, "ids");
  FloatView log_probs = a.Floats(10, "logProbs");
  const int64_t n = CheckedProduct({rows, vocab});
  if (a.ok() && n < 0) a.Fail("rows × vocab too large");
  if (a.ok() && vocab == 0 && rows > 0) a.Fail("vocab must be positive");
  a.Need(logits, n, "logits");
  a.Need(ids, rows, "ids");
  a.Need(log_probs, rows, "logProbs");
  CheckChoice(a, choice, uniforms, rows);
  if (!a.ok()) return a.env().Undefined();
  ForRows(rows, vocab, [&](int64_t r0, int64_t r1) {
    ChooseRows(logits.data, choice.sample ? uniforms.data() : nullptr, r0, r1, vocab, choice, ids.data,
               log_probs.data);
  }, 4096);
  return a.env().Undefined();
}

}  // namespace

void RegisterTokenChoice(Napi::Env env, Napi::Object exports) {
  exports.Set("chooseTokens", Napi::Function::New(env, ChooseTokens, "chooseTokens"));
}

}  // namespace irlens
