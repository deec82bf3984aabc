// The shared worker pool: persistent threads, low-latency dispatch (a short spin before sleeping
// on a condition variable), nested calls run serially, results never depend on the thread count
// because chunk boundaries only decide who computes an output, never how.
#include "thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gemm.h"
#include "kernels.h"
#include "vec_math.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IRLENS_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define IRLENS_CPU_RELAX() asm volatile("yield")
#else
#define IRLENS_CPU_RELAX() ((void)0)
#endif

namespace irlens {
namespace {

// True on pool workers and on a caller while it runs a ParallelFor: a nested call runs serially.
thread_local bool t_inside_parallel = false;

int DefaultThreads() {
  if (const char* env = std::getenv("IRLENS_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1) return static_cast<int>(v > 256 ? 256 : v);
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc > 256 ? 256 : hc);
}

int64_t SpinMicros() {
  if (const char* env = std::getenv("IRLENS_SPIN_US")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 0) return v;
  }
  return 200;
}

class Pool {
 public:
  Pool() : threads_(DefaultThreads()), spin_us_(SpinMicros()) { Start(); }
  ~Pool() { Stop(); }

  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void SetThreads(int n) {
    if (n < 1) n = 1;
    if (n > 256) n = 256;
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    if (n == threads()) return;
    Stop();
    threads_.store(n, std::memory_order_relaxed);
    Start();
  }

  void Run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t chunks = n / grain;
    const int t = threads();
    if (chunks > t) chunks = t;
    if (chunks > 0xffff) chunks = 0xffff;
    if (chunks <= 1 || t_inside_parallel) {
      RunSerial(n, fn);
      return;
    }
    std::unique_lock<std::mutex> dispatch(dispatch_mu_, std::try_to_lock);
    if (!dispatch.owns_lock()) {  // another thread is using the pool: do the work here
      RunSerial(n, fn);
      return;
    }
    fn_ = &fn;
    n_ = n;
    error_ = nullptr;
    done_.store(0, std::memory_order_relaxed);
    const uint64_t gen = ++generation_;
    // Publishing the work word (generation | chunks | next index) releases the fields above.
    work_.store((gen << 32) | (static_cast<uint64_t>(chunks) << 16), std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(mu_);
      cv_.notify_all();
    }
    t_inside_parallel = true;
    while (TryRunOne(gen)) {
    }
    t_inside_parallel = false;
    // Wait for the chunks other threads claimed.
    int spins = 0;
    while (done_.load(std::memory_order_acquire) < chunks) {
      if (++spins < 4096) {
        IRLENS_CPU_RELAX();
      } else {
        std::this_thread::yield();
      }
    }
    fn_ = nullptr;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  static void RunSerial(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    const bool was = t_inside_parallel;
    t_inside_parallel = true;
    try {
      fn(0, n);
    } catch (...) {
      t_inside_parallel = was;
      throw;
    }
    t_inside_parallel = was;
  }

  // Claims and runs one chunk of job `gen`; false when none is left (or the job is gone).
  bool TryRunOne(uint64_t gen) {
    uint64_t w = work_.load(std::memory_order_acquire);
    for (;;) {
      if ((w >> 32) != (gen & 0xffffffffu)) return false;
      const uint64_t chunks = (w >> 16) & 0xffff;
      const uint64_t idx = w & 0xffff;
      if (idx >= chunks) return false;
      if (work_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        const int64_t begin = static_cast<int64_t>(n_ * static_cast<int64_t>(idx) / static_cast<int64_t>(chunks));
        const int64_t end = static_cast<int64_t>(n_ * static_cast<int64_t>(idx + 1) / static_cast<int64_t>(chunks));
        try {
          (*fn_)(begin, end);
        } catch (...) {
          std::lock_guard<std::mutex> lk(error_mu_);
          if (!error_) error_ = std::current_exception();
        }
        done_.fetch_add(1, std::memory_order_acq_rel);
        return true;
      }
    }
  }

  void Worker() {
    t_inside_parallel = true;
    uint64_t seen = generation_seen_start_;
    for (;;) {
      uint64_t gen = 0;
      // Spin for a short while, then sleep until new work (or stop) arrives.
      auto start = std::chrono::steady_clock::now();
      int spins = 0;
      for (;;) {
        if (stop_.load(std::memory_order_acquire)) return;
        gen = work_.load(std::memory_order_acquire) >> 32;
        if (gen != seen) break;
        IRLENS_CPU_RELAX();
        if ((++spins & 255) == 0) {
          const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::steady_clock::now() - start).count();
          if (us >= spin_us_) {
            std::unique_lock<std::mutex> lk(mu_);
            sleepers_.fetch_add(1, std::memory_order_seq_cst);
            cv_.wait(lk, [&] {
              return stop_.load(std::memory_order_seq_cst) ||
                     (work_.load(std::memory_order_seq_cst) >> 32) != seen;
            });
            sleepers_.fetch_sub(1, std::memory_order_seq_cst);
            start = std::chrono::steady_clock::now();
          }
        }
      }
      seen = gen;
      while (TryRunOne(gen)) {
      }
    }
  }

  void Start() {
    stop_.store(false);
    generation_seen_start_ = work_.load() >> 32;
    const int n = threads();
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { Worker(); });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_.store(true, std::memory_order_seq_cst);
      cv_.notify_all();
    }
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::atomic<int> threads_;
  const int64_t spin_us_;
  std::vector<std::thread> workers_;
  std::mutex dispatch_mu_;  // one ParallelFor at a time uses the workers
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  // (generation & 0xffffffff) << 32 | chunks << 16 | next chunk to claim.
  std::atomic<uint64_t> work_{0};
  uint64_t generation_ = 0;
  uint64_t generation_seen_start_ = 0;
  std::atomic<int64_t> done_{0};
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  std::mutex error_mu_;
  std::exception_ptr error_;
};

Pool& GetPool() {
  static Pool* pool = new Pool();  // never destroyed: workers may outlive static destructors
  return *pool;
}

}  // namespace

void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  GetPool().Run(n, grain, fn);
}

int NumThreads() { return GetPool().threads(); }

void SetNumThreads(int n) { GetPool().SetThreads(n); }

// ---- N-API ----

static Napi::Value JsSetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "setThreads(n): n must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double v = info[0].As<Napi::Number>().DoubleValue();
  if (!(v >= 1) || v > 256 || v != static_cast<double>(static_cast<int>(v))) {
    Napi::RangeError::New(env, "setThreads(n): n must be an integer from 1 to 256, got " +
                                   std::to_string(v)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  SetNumThreads(static_cast<int>(v));
  return env.Undefined();
}

static Napi::Value JsThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), NumThreads());
}

static Napi::Value JsSimd(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), GemmSimdName());
}

static Napi::Value JsVectorSimd(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), vec::VectorSimdName());
}

void RegisterThreadPool(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", Napi::Function::New(env, JsSetThreads, "setThreads"));
  exports.Set("threads", Napi::Function::New(env, JsThreads, "threads"));
  exports.Set("simd", Napi::Function::New(env, JsSimd, "simd"));
  exports.Set("vectorSimd", Napi::Function::New(env, JsVectorSimd, "vectorSimd"));
}

}  // namespace irlens
