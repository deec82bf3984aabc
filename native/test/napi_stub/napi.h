// A stand-in for node-addon-api's napi.h with just the part native/src uses, so the kernels'
// N-API entry points compile into a plain C++ program with no Node (native/test/kernel_check.cc):
// that program runs them on machines Node is not built for here, such as aarch64 under qemu-user.
// Values are reference-counted tagged unions; a thrown JS exception becomes the Env's pending
// error, which the caller reads after each call.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

enum napi_typedarray_type { napi_int32_array, napi_float32_array };

namespace Napi {

class Value;
class CallbackInfo;

// The memory behind typed arrays; `release` runs when the last view of it goes (a finalizer).
struct BufferData {
  void* data = nullptr;
  size_t bytes = 0;
  std::vector<unsigned char> owned;  // buffers the test program made
  std::function<void()> release;
  ~BufferData() {
    if (release) release();
  }
};

struct ValueData {
  enum Kind { kUndefined, kNull, kNumber, kBoolean, kString, kTypedArray, kArrayBuffer, kArray, kObject, kFunction };
  Kind kind = kUndefined;
  double number = 0;
  bool boolean = false;
  std::string string;
  napi_typedarray_type array_type = napi_float32_array;
  std::shared_ptr<BufferData> buffer;
  size_t length = 0;  // typed array elements (the views start at the buffer's start)
  std::vector<Value> items;
  std::map<std::string, Value> properties;
  std::function<Value(const CallbackInfo&)> function;
};

class Env {
 public:
  explicit Env(std::string* pending_error) : pending_error_(pending_error) {}
  Value Undefined() const;
  // The message of the first exception thrown since the caller last cleared it.
  std::string* pending_error() const { return pending_error_; }

 private:
  std::string* pending_error_;
};

class Value {
 public:
  Value() : data_(std::make_shared<ValueData>()) {}
  explicit Value(std::shared_ptr<ValueData> data) : data_(std::move(data)) {}
  bool IsUndefined() const { return data_->kind == ValueData::kUndefined; }
  bool IsNull() const { return data_->kind == ValueData::kNull; }
  bool IsNumber() const { return data_->kind == ValueData::kNumber; }
  bool IsBoolean() const { return data_->kind == ValueData::kBoolean; }
  bool IsTypedArray() const { return data_->kind == ValueData::kTypedArray; }
  bool IsArray() const { return data_->kind == ValueData::kArray; }
  template <typename T>
  T As() const { return T(data_); }
  ValueData& data() const { return *data_; }

 protected:
  std::shared_ptr<ValueData> data_;
};

inline Value Env::Undefined() const { return Value(); }

inline Value MakeValue(ValueData::Kind kind) {
  auto d = std::make_shared<ValueData>();
  d->kind = kind;
  return Value(d);
}

class Number : public Value {
 public:
  using Value::Value;
  static Number New(Env, double v) {
    Number n(MakeValue(ValueData::kNumber).As<Number>());
    n.data().number = v;
    return n;
  }
  double DoubleValue() const { return data_->number; }
};

class Boolean : public Value {
 public:
  using Value::Value;
  static Boolean New(Env, bool v) {
    Boolean b(MakeValue(ValueData::kBoolean).As<Boolean>());
    b.data().boolean = v;
    return b;
  }
  bool Value() const { return data_->boolean; }
};

class String : public Value {
 public:
  using Value::Value;
  static String New(Env, const std::string& s) {
    String v(MakeValue(ValueData::kString).As<String>());
    v.data().string = s;
    return v;
  }
};

class ArrayBuffer : public Value {
 public:
  using Value::Value;
  template <typename Finalizer, typename Hint>
  static ArrayBuffer New(Env env, void* data, size_t bytes, Finalizer finalize, Hint* hint) {
    ArrayBuffer b(MakeValue(ValueData::kArrayBuffer).As<ArrayBuffer>());
    b.data().buffer = std::make_shared<BufferData>();
    b.data().buffer->data = data;
    b.data().buffer->bytes = bytes;
    b.data().buffer->release = [env, data, finalize, hint] { finalize(env, data, hint); };
    return b;
  }
  void* Data() const { return data_->buffer->data; }
  void Detach() {
    data_->buffer->data = nullptr;
    data_->buffer->bytes = 0;
  }
};

class TypedArray : public Value {
 public:
  using Value::Value;
  napi_typedarray_type TypedArrayType() const { return data_->array_type; }
  Napi::ArrayBuffer ArrayBuffer() const {
    Napi::ArrayBuffer b(MakeValue(ValueData::kArrayBuffer).As<Napi::ArrayBuffer>());
    b.data().buffer = data_->buffer;
    return b;
  }
};

template <typename T>
class TypedArrayOf : public TypedArray {
 public:
  using TypedArray::TypedArray;
  static TypedArrayOf New(Env, size_t elements, Napi::ArrayBuffer buffer, size_t /*byte_offset 0*/) {
    TypedArrayOf a(MakeValue(ValueData::kTypedArray).As<TypedArrayOf>());
    a.data().array_type = std::is_same<T, float>::value ? napi_float32_array : napi_int32_array;
    a.data().buffer = buffer.data().buffer;
    a.data().length = elements;
    return a;
  }
  T* Data() const { return static_cast<T*>(data_->buffer->data); }
  // A detached buffer has no elements, as in JavaScript.
  size_t ElementLength() const { return data_->buffer->data ? data_->length : 0; }
};
using Float32Array = TypedArrayOf<float>;
using Int32Array = TypedArrayOf<int32_t>;

class Array : public Value {
 public:
  using Value::Value;
  uint32_t Length() const { return static_cast<uint32_t>(data_->items.size()); }
  Value Get(uint32_t i) const { return data_->items[i]; }
};

class Object : public Value {
 public:
  using Value::Value;
  static Object New(Env) { return MakeValue(ValueData::kObject).As<Object>(); }
  void Set(const std::string& key, const Value& v) { data_->properties[key] = v; }
  Value Get(const std::string& key) const {
    auto it = data_->properties.find(key);
    return it == data_->properties.end() ? Value() : it->second;
  }
};

class CallbackInfo {
 public:
  CallbackInfo(Napi::Env env, std::vector<Value> args) : env_(env), args_(std::move(args)) {}
  Napi::Env Env() const { return env_; }
  size_t Length() const { return args_.size(); }
  Value operator[](size_t i) const { return i < args_.size() ? args_[i] : Value(); }

 private:
  Napi::Env env_;
  std::vector<Value> args_;
};

class Function : public Value {
 public:
  using Value::Value;
  template <typename Callable>
  static Function New(Env, Callable fn, const char*) {
    Function f(MakeValue(ValueData::kFunction).As<Function>());
    f.data().function = [fn](const CallbackInfo& info) -> Value { return fn(info); };
    return f;
  }
  Value Call(Env env, std::vector<Value> args) const { return data_->function(CallbackInfo(env, std::move(args))); }
};

class Error {
 public:
  static Error New(Env env, const std::string& message) { return Error(env, message); }
  void ThrowAsJavaScriptException() const {
    if (env_.pending_error()->empty()) *env_.pending_error() = message_;
  }

 protected:
  Error(Env env, std::string message) : env_(env), message_(std::move(message)) {}

 private:
  Env env_;
  std::string message_;
};
class TypeError : public Error {
 public:
  static TypeError New(Env env, const std::string& message) { return TypeError(env, "TypeError: " + message); }
 private:
  using Error::Error;
};
class RangeError : public Error {
 public:
  static RangeError New(Env env, const std::string& message) { return RangeError(env, "RangeError: " + message); }
 private:
  using Error::Error;
};

struct MemoryManagement {
  static int64_t AdjustExternalMemory(Env, int64_t change) { return change; }
};

}  // namespace Napi

// The module's init function becomes callable by name from the test program.
#define NODE_API_MODULE(name, init) \
  Napi::Object InitForTest(Napi::Env env, Napi::Object exports) { return init(env, exports); }
