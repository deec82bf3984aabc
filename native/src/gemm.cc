// N-API entry point of the GEMM: gemm(a, b, out, batch, m, n, k, transA, transB, strideA,
// strideB, accumulate) works in place on the typed arrays' memory (byteOffset respected).
// The blocked product itself is in gemm_core.cc and gemm_<isa>.cc.
#include <cmath>
#include <string>

#include "gemm.h"
#include "kernels.h"

namespace irlens {
namespace {

bool Fail(Napi::Env env, const std::string& msg, bool range = true) {
  if (range) {
    Napi::RangeError::New(env, "gemm: " + msg).ThrowAsJavaScriptException();
  } else {
    Napi::TypeError::New(env, "gemm: " + msg).ThrowAsJavaScriptException();
  }
  return false;
}

bool GetFloat32(const Napi::CallbackInfo& info, size_t i, const char* name, float** data, size_t* length) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    return Fail(info.Env(), std::string(name) + " must be a Float32Array", false);
  Napi::Float32Array arr = info[i].As<Napi::Float32Array>();
  *data = arr.Data();
  *length = arr.ElementLength();
  return true;
}

// A non-negative integer below 2^40 (large enough for any buffer, small enough that products
// of two such values cannot overflow int64 checks done in 128-bit arithmetic below).
bool GetCount(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t* out) {
  if (!info[i].IsNumber()) return Fail(info.Env(), std::string(name) + " must be a number", false);
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v > 1099511627776.0 || std::floor(v) != v)
    return Fail(info.Env(), std::string(name) + " must be a non-negative integer, got " + std::to_string(v));
  *out = static_cast<int64_t>(v);
  return true;
}

bool GetBool(const Napi::CallbackInfo& info, size_t i, const char* name, bool* out) {
  if (!info[i].IsBoolean()) return Fail(info.Env(), std::string(name) + " must be a boolean", false);
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

using u128 = unsigned __int128;

std::string Str(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

// Elements an operand of `batch` items, `stride` apart, each `size` long, spans.
u128 Span(int64_t batch, int64_t stride, u128 size) {
  if (batch == 0 || size == 0) return 0;
  return static_cast<u128>(batch - 1) * static_cast<u128>(stride) + size;
}

bool Overlaps(const float* x, u128 nx, const float* y, u128 ny) {
  if (nx == 0 || ny == 0) return false;
  const uintptr_t x0 = reinterpret_cast<uintptr_t>(x), y0 = reinterpret_cast<uintptr_t>(y);
  const u128 x1 = x0 + nx * sizeof(float), y1 = y0 + ny * sizeof(float);
  return x0 < y1 && y0 < x1;
}

Napi::Value JsGemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 12) {
    Fail(env, "expected 12 arguments (a, b, out, batch, m, n, k, transA, transB, strideA, strideB, "
              "accumulate), got " + std::to_string(info.Length()), false);
    return env.Undefined();
  }
  float *a, *b, *out;
  size_t na, nb, nout;
  int64_t batch, m, n, k, stride_a, stride_b;
  bool trans_a, trans_b, accumulate;
  if (!GetFloat32(info, 0, "a", &a, &na) || !GetFloat32(info, 1, "b", &b, &nb) ||
      !GetFloat32(info, 2, "out", &out, &nout) || !GetCount(info, 3, "batch", &batch) ||
      !GetCount(info, 4, "m", &m) || !GetCount(info, 5, "n", &n) || !GetCount(info, 6, "k", &k) ||
      !GetBool(info, 7, "transA", &trans_a) || !GetBool(info, 8, "transB", &trans_b) ||
      !GetCount(info, 9, "strideA", &stride_a) || !GetCount(info, 10, "strideB", &stride_b) ||
      !GetBool(info, 11, "accumulate", &accumulate))
    return env.Undefined();

  const u128 need_a = Span(batch, stride_a, static_cast<u128>(m) * static_cast<u128>(k));
  const u128 need_b = Span(batch, stride_b, static_cast<u128>(k) * static_cast<u128>(n));
  const u128 need_out = static_cast<u128>(batch) * static_cast<u128>(m) * static_cast<u128>(n);
  const std::string dims = " (batch " + std::to_string(batch) + ", m " + std::to_string(m) + ", n " +
                           std::to_string(n) + ", k " + std::to_string(k) + ")";
  if (need_a > na) {
    Fail(env, "a has " + std::to_string(na) + " elements but needs " + Str(need_a) +
                  " (strideA " + std::to_string(stride_a) + ")" + dims);
    return env.Undefined();
  }
  if (need_b > nb) {
    Fail(env, "b has " + std::to_string(nb) + " elements but needs " + Str(need_b) +
                  " (strideB " + std::to_string(stride_b) + ")" + dims);
    return env.Undefined();
  }
  if (need_out > nout) {
    Fail(env, "out has " + std::to_string(nout) + " elements but needs " + Str(need_out) + dims);
    return env.Undefined();
  }
  if (Overlaps(out, need_out, a, need_a) || Overlaps(out, need_out, b, need_b)) {
    Fail(env, "out must not share memory with a or b");
    return env.Undefined();
  }
  if (need_out == 0) return env.Undefined();

  GemmShape s{m, n, k, trans_a, trans_b, accumulate};
  SgemmBatched(s, batch, a, stride_a, b, stride_b, out);
  return env.Undefined();
}

}  // namespace

void RegisterGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, JsGemm, "gemm"));
}

}  // namespace irlens
