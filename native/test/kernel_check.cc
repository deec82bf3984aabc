// Runs every kernel of native/src through its N-API entry point (compiled against the stand-in
// napi.h beside this file, so no Node is needed) on the calls in a case file written by
// test/helpers/kernel-case-file.ts, and compares what each call leaves in its buffers, and
// returns, with the TypeScript reference backend's results stored in the file. Each call runs
// with 1 and with 2 threads, which must agree bit for bit. Also checks that storage hands out
// zeroed, aligned blocks of every size class. Built for aarch64 and run under qemu-user by
// test/tensor/aarch64-kernels.test.ts, and natively there too.
//
// Usage: kernel_check CASES_FILE. Prints one line per kernel (calls, largest error) and exits 1 on
// any mismatch.
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace irlens {
Napi::Object InitForTest(Napi::Env env, Napi::Object exports);  // NODE_API_MODULE in addon.cc
}

namespace {

// Argument tags of the case file (see test/helpers/kernel-case-file.ts).
enum Tag : uint8_t { kUndefined = 0, kNull, kNumber, kBool, kFloats, kInts, kNumberList, kAlias };

class Reader {
 public:
  explicit Reader(const std::string& path) : in_(path, std::ios::binary) {}
  bool ok() const { return static_cast<bool>(in_); }
  template <typename T>
  T Get() {
    T v{};
    in_.read(reinterpret_cast<char*>(&v), sizeof v);
    return v;
  }
  template <typename T>
  std::vector<T> GetVector(uint32_t n) {
    std::vector<T> v(n);
    in_.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(T)));
    return v;
  }
  std::string GetString() {
    std::string s(Get<uint32_t>(), '\0');
    in_.read(&s[0], static_cast<std::streamsize>(s.size()));
    return s;
  }

 private:
  std::ifstream in_;
};

// One argument: its value before the call and, for buffers, what the reference left in it.
struct Arg {
  Tag tag = kUndefined;
  double number = 0;
  std::vector<float> floats, want_floats;
  std::vector<int32_t> ints, want_ints;
  std::vector<double> list;
  uint32_t alias = 0;  // kAlias: the same buffer as argument `alias`
};

struct Call {
  std::string label, kernel;
  double rtol = 0, atol = 0;
  std::vector<Arg> args;
  std::map<std::string, double> want_return;  // "" for a plain number, else object properties
};

std::vector<Call> ReadCalls(Reader& r) {
  if (r.Get<uint32_t>() != 0x4b4c5249u) return {};  // "IRLK"
  std::vector<Call> calls(r.Get<uint32_t>());
  for (Call& c : calls) {
    c.label = r.GetString();
    c.kernel = r.GetString();
    c.rtol = r.Get<double>();
    c.atol = r.Get<double>();
    c.args.resize(r.Get<uint32_t>());
    for (Arg& a : c.args) {
      a.tag = static_cast<Tag>(r.Get<uint8_t>());
      if (a.tag == kNumber || a.tag == kBool) a.number = r.Get<double>();
      if (a.tag == kAlias) a.alias = r.Get<uint32_t>();
      if (a.tag == kNumberList) a.list = r.GetVector<double>(r.Get<uint32_t>());
      if (a.tag == kFloats) {
        const uint32_t n = r.Get<uint32_t>();
        a.floats = r.GetVector<float>(n);
        a.want_floats = r.GetVector<float>(n);
      }
      if (a.tag == kInts) {
        const uint32_t n = r.Get<uint32_t>();
        a.ints = r.GetVector<int32_t>(n);
        a.want_ints = r.GetVector<int32_t>(n);
      }
    }
    for (uint32_t i = r.Get<uint32_t>(); i > 0; --i) {
      std::string key = r.GetString();
      c.want_return[key] = r.Get<double>();
    }
  }
  return r.ok() ? calls : std::vector<Call>{};
}

template <typename T>
Napi::Value NewTypedArray(const std::vector<T>& values) {
  auto d = std::make_shared<Napi::ValueData>();
  d->kind = Napi::ValueData::kTypedArray;
  d->array_type = std::is_same<T, float>::value ? napi_float32_array : napi_int32_array;
  d->buffer = std::make_shared<Napi::BufferData>();
  d->buffer->owned.resize(values.size() * sizeof(T) + 1);
  std::memcpy(d->buffer->owned.data(), values.data(), values.size() * sizeof(T));
  d->buffer->data = d->buffer->owned.data();
  d->buffer->bytes = values.size() * sizeof(T);
  d->length = values.size();
  return Napi::Value(d);
}

std::vector<Napi::Value> MakeArgs(const Call& c) {
  std::vector<Napi::Value> out;
  for (const Arg& a : c.args) {
    Napi::Value v;
    switch (a.tag) {
      case kUndefined: break;
      case kNull: v = Napi::MakeValue(Napi::ValueData::kNull); break;
      case kNumber: v = Napi::MakeValue(Napi::ValueData::kNumber); v.data().number = a.number; break;
      case kBool: v = Napi::MakeValue(Napi::ValueData::kBoolean); v.data().boolean = a.number != 0; break;
      case kFloats: v = NewTypedArray(a.floats); break;
      case kInts: v = NewTypedArray(a.ints); break;
      case kNumberList:
        v = Napi::MakeValue(Napi::ValueData::kArray);
        for (double e : a.list) {
          Napi::Value item = Napi::MakeValue(Napi::ValueData::kNumber);
          item.data().number = e;
          v.data().items.push_back(item);
        }
        break;
      case kAlias: v = out[a.alias]; break;
    }
    out.push_back(v);
  }
  return out;
}

double MaxAbs(const std::vector<float>& x) {
  double m = 0;
  for (float v : x)
    if (std::isfinite(v)) m = std::fmax(m, std::fabs(v));
  return m;
}

struct Outcome {
  std::string failure;  // empty when every check passed
  double max_error = 0;     // the largest |native − reference|
  double max_fraction = 0;  // the largest |native − reference| / tolerance
};

// The checks of test/tensor/native-kernels.test.ts: |got − want| ≤ rtol·|want| + atol·max|want|,
// non-finite values equal (any NaN matches NaN). Returns false on a mismatch.
bool Close(double got, double want, double rtol, double atol_scaled, Outcome* o) {
  if (!std::isfinite(want)) return got == want || (std::isnan(got) && std::isnan(want));
  const double diff = std::fabs(got - want);
  const double tolerance = rtol * std::fabs(want) + atol_scaled + 1e-37;
  if (!(diff <= tolerance)) return false;
  o->max_error = std::fmax(o->max_error, diff);
  o->max_fraction = std::fmax(o->max_fraction, diff / tolerance);
  return true;
}

// Compares the buffers and return value of one call with the reference's.
Outcome Check(const Call& c, const std::vector<Napi::Value>& args, const Napi::Value& result) {
  Outcome o;
  char where[160];
  for (size_t i = 0; i < c.args.size() && o.failure.empty(); ++i) {
    const Arg& a = c.args[i];
    if (a.tag == kFloats) {
      const float* got = args[i].As<Napi::Float32Array>().Data();
      const double scale = c.atol * MaxAbs(a.want_floats);
      for (size_t j = 0; j < a.want_floats.size(); ++j) {
        if (!Close(got[j], a.want_floats[j], c.rtol, scale, &o)) {
          std::snprintf(where, sizeof where, "argument %zu [%zu]: native %.9g vs reference %.9g", i, j, got[j],
                        a.want_floats[j]);
          o.failure = where;
          break;
        }
      }
    } else if (a.tag == kInts) {
      const int32_t* got = args[i].As<Napi::Int32Array>().Data();
      for (size_t j = 0; j < a.want_ints.size(); ++j) {
        if (got[j] != a.want_ints[j]) {
          std::snprintf(where, sizeof where, "argument %zu [%zu]: native %d vs reference %d", i, j, got[j],
                        a.want_ints[j]);
          o.failure = where;
          break;
        }
      }
    }
  }
  for (const auto& [key, want] : c.want_return) {
    if (!o.failure.empty()) break;
    const Napi::Value v = key.empty() ? result : result.As<Napi::Object>().Get(key);
    const double got = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!Close(got, want, c.rtol, c.atol * std::fabs(want), &o)) {
      std::snprintf(where, sizeof where, "returned %s: native %.17g vs reference %.17g",
                    key.empty() ? "value" : key.c_str(), got, want);
      o.failure = where;
    }
  }
  return o;
}

// The bytes every buffer argument holds after the call, to compare thread counts bit for bit.
std::vector<unsigned char> Snapshot(const Call& c, const std::vector<Napi::Value>& args) {
  std::vector<unsigned char> bytes;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (c.args[i].tag != kFloats && c.args[i].tag != kInts) continue;
    const Napi::BufferData& b = *args[i].data().buffer;
    bytes.insert(bytes.end(), static_cast<const unsigned char*>(b.data),
                 static_cast<const unsigned char*>(b.data) + b.bytes);
  }
  return bytes;
}

// allocate() must return zeroed, 64-byte-aligned memory for the malloc, mmap and huge-page size
// classes, also when it reuses a released block.
std::string CheckStorage(Napi::Env env, const Napi::Object& exports) {
  const Napi::Function allocate = exports.Get("allocate").As<Napi::Function>();
  const Napi::Function release = exports.Get("release").As<Napi::Function>();
  for (double n : {1.0, 1000.0, 300000.0, 1000000.0}) {
    for (int round = 0; round < 2; ++round) {
      Napi::Value a = allocate.Call(env, {Napi::Number::New(env, n)});
      if (!a.IsTypedArray()) return "allocate(" + std::to_string(n) + ") failed: " + *env.pending_error();
      float* p = a.As<Napi::Float32Array>().Data();
      if (reinterpret_cast<uintptr_t>(p) % 64 != 0) return "allocate(" + std::to_string(n) + ") is not 64-byte aligned";
      for (size_t i = 0; i < size_t(n); ++i)
        if (p[i] != 0) return "allocate(" + std::to_string(n) + ") is not zeroed (round " + std::to_string(round) + ")";
      for (size_t i = 0; i < size_t(n); ++i) p[i] = 1.5f;  // dirty it for the reuse round
      release.Call(env, {a});
    }
  }
  return "";
}

// Runs one call with 1 and then 2 threads: each must match the reference, and the two bit for bit.
Outcome RunCall(Napi::Env env, const Napi::Object& exports, const Call& c) {
  const Napi::Value fn = exports.Get(c.kernel);
  if (fn.data().kind != Napi::ValueData::kFunction) return {"the addon has no kernel " + c.kernel};
  const Napi::Function set_threads = exports.Get("setThreads").As<Napi::Function>();
  std::vector<unsigned char> one_thread;
  Outcome o;
  for (int threads : {1, 2}) {
    set_threads.Call(env, {Napi::Number::New(env, threads)});
    std::vector<Napi::Value> args = MakeArgs(c);
    const Napi::Value result = fn.As<Napi::Function>().Call(env, args);
    std::string& error = *env.pending_error();
    o = error.empty() ? Check(c, args, result) : Outcome{"threw " + error};
    error.clear();
    if (!o.failure.empty()) {
      o.failure += " (" + std::to_string(threads) + " threads)";
      return o;
    }
    if (threads == 1) one_thread = Snapshot(c, args);
    else if (Snapshot(c, args) != one_thread) return {"results differ between 1 and 2 threads"};
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kernel_check CASES_FILE\n");
    return 2;
  }
  Reader reader(argv[1]);
  const std::vector<Call> calls = ReadCalls(reader);
  if (calls.empty()) {
    std::fprintf(stderr, "kernel_check: cannot read cases from %s\n", argv[1]);
    return 2;
  }
  std::string error;
  Napi::Env env(&error);
  Napi::Object exports = irlens::InitForTest(env, Napi::Object::New(env));

  struct Summary {
    int calls = 0;
    double max_error = 0, max_fraction = 0;
  };
  std::map<std::string, Summary> kernels;
  int failures = 0;
  for (const Call& c : calls) {
    const Outcome o = RunCall(env, exports, c);
    if (!o.failure.empty()) {
      if (++failures <= 20) std::printf("FAIL %s: %s\n", c.label.c_str(), o.failure.c_str());
      continue;
    }
    Summary& s = kernels[c.kernel];
    s.calls++;
    s.max_error = std::fmax(s.max_error, o.max_error);
    s.max_fraction = std::fmax(s.max_fraction, o.max_fraction);
  }
  const std::string storage = CheckStorage(env, exports);
  if (!storage.empty()) {
    std::printf("FAIL storage: %s\n", storage.c_str());
    ++failures;
  }
  for (const auto& [name, s] : kernels)
    std::printf("%-22s %4d calls  max |error| %.3g (%.2f of its tolerance)\n", name.c_str(), s.calls, s.max_error,
                s.max_fraction);
  const auto path = [&](const char* name) { return exports.Get(name).As<Napi::Function>().Call(env, {}).data().string; };
  std::printf("kernel_check: %zu calls of %zu kernels, storage %s; gemm %s, vector loops %s; %d failed\n", calls.size(),
              kernels.size(), storage.empty() ? "ok" : "FAILED", path("simd").c_str(), path("vectorSimd").c_str(),
              failures);
  return failures == 0 ? 0 : 1;
}
