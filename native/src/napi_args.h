// Argument checking for the kernels' N-API entry points.
//
// Kernels work directly on the memory of the caller's typed arrays (byteOffset respected, no
// copies). Every entry point reads its arguments through an Args object: the first problem
// (wrong type, buffer too short, bad number) throws a JS Error that names the kernel and the
// argument, and marks the Args failed so the kernel returns without touching any buffer.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace irlens {

template <typename T>
struct BufferView {
  T* data = nullptr;
  int64_t length = 0;
  bool present = false;  // false for a null/undefined optional argument
};
using FloatView = BufferView<float>;
using IntView = BufferView<int32_t>;

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* kernel, size_t count)
      : info_(info), env_(info.Env()), kernel_(kernel) {
    if (info.Length() < count)
      Fail("expected " + std::to_string(count) + " arguments, got " + std::to_string(info.Length()));
  }

  bool ok() const { return ok_; }
  Napi::Env env() const { return env_; }

  void Fail(const std::string& message) {
    if (!ok_) return;
    ok_ = false;
    Napi::Error::New(env_, std::string(kernel_) + ": " + message).ThrowAsJavaScriptException();
  }

  // A Float32Array argument (or null/undefined when optional).
  FloatView Floats(size_t i, const char* name, bool optional = false) {
    return Typed<float>(i, name, optional, napi_float32_array, "Float32Array");
  }
  // An Int32Array argument (or null/undefined when optional).
  IntView Ints(size_t i, const char* name, bool optional = false) {
    return Typed<int32_t>(i, name, optional, napi_int32_array, "Int32Array");
  }

  // Requires a present buffer to hold at least `need` elements.
  template <typename T>
  void Need(const BufferView<T>& v, int64_t need, const char* name) {
    if (!ok_ || !v.present) return;
    if (need < 0) {
      Fail(std::string(name) + ": negative size");
    } else if (v.length < need) {
      Fail(std::string(name) + " has " + std::to_string(v.length) + " elements, needs " +
           std::to_string(need));
    }
  }

  double Number(size_t i, const char* name) {
    if (!ok_) return 0;
    Napi::Value v = info_[i];
    if (!v.IsNumber()) {
      Fail(std::string(name) + " must be a number");
      return 0;
    }
    return v.As<Napi::Number>().DoubleValue();
  }

  // A finite integer ≥ min (sizes, counts, codes).
  int64_t Integer(size_t i, const char* name, int64_t min = 0) {
    double d = Number(i, name);
    if (!ok_) return 0;
    if (!std::isfinite(d) || d != std::floor(d) || d < double(min) || std::fabs(d) > 9.0e15) {
      Fail(std::string(name) + " must be an integer >= " + std::to_string(min) + ", got " +
           std::to_string(d));
      return 0;
    }
    return int64_t(d);
  }

  bool Bool(size_t i, const char* name) {
    if (!ok_) return false;
    Napi::Value v = info_[i];
    if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
    if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue() != 0;
    Fail(std::string(name) + " must be a boolean");
    return false;
  }

  // A list of integers from a JS array of numbers or an Int32Array.
  std::vector<int64_t> IntList(size_t i, const char* name) {
    std::vector<int64_t> out;
    if (!ok_) return out;
    Napi::Value v = info_[i];
    if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
      Napi::Int32Array a = v.As<Napi::Int32Array>();
      out.assign(a.Data(), a.Data() + a.ElementLength());
      return out;
    }
    const std::vector<double> numbers = NumberList(i, name, false, " of integers or an Int32Array");
    for (size_t j = 0; j < numbers.size(); ++j) {
      const double d = numbers[j];
      if (d != std::floor(d) || std::fabs(d) > 9.0e15) {
        Fail(std::string(name) + "[" + std::to_string(j) + "] must be an integer");
        out.clear();
        return out;
      }
      out.push_back(int64_t(d));
    }
    return out;
  }

  // A list of finite numbers from a JS array (an empty list for null or undefined when optional).
  std::vector<double> NumberList(size_t i, const char* name, bool optional = false,
                                 const char* what = " of numbers") {
    std::vector<double> out;
    if (!ok_) return out;
    Napi::Value v = info_[i];
    if (optional && (v.IsNull() || v.IsUndefined())) return out;
    if (!v.IsArray()) {
      Fail(std::string(name) + " must be an array" + what + (optional ? " or null" : ""));
      return out;
    }
    Napi::Array a = v.As<Napi::Array>();
    uint32_t n = a.Length();
    out.reserve(n);
    for (uint32_t j = 0; j < n; ++j) {
      Napi::Value e = a.Get(j);
      double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
      if (!std::isfinite(d)) {
        Fail(std::string(name) + "[" + std::to_string(j) + "] must be a finite number");
        out.clear();
        return out;
      }
      out.push_back(d);
    }
    return out;
  }

 private:
  template <typename T>
  BufferView<T> Typed(size_t i, const char* name, bool optional, napi_typedarray_type type,
                      const char* type_name) {
    BufferView<T> view;
    if (!ok_) return view;
    Napi::Value v = info_[i];
    if (optional && (v.IsNull() || v.IsUndefined())) return view;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
      Fail(std::string(name) + " must be a " + type_name + (optional ? " or null" : ""));
      return view;
    }
    Napi::TypedArrayOf<T> a = v.As<Napi::TypedArrayOf<T>>();
    view.data = a.Data();  // already includes the array's byteOffset
    view.length = int64_t(a.ElementLength());
    view.present = true;
    return view;
  }

  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* kernel_;
  bool ok_ = true;
};

// Product of sizes, or -1 on overflow past 2^53.
inline int64_t CheckedProduct(std::initializer_list<int64_t> sizes) {
  double p = 1;
  int64_t q = 1;
  for (int64_t s : sizes) {
    p *= double(s);
    q *= s;
  }
  return p > 9.0e15 ? -1 : q;
}

}  // namespace irlens
