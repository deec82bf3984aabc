// Tensor storage owned by the addon, so a disposed tensor's memory is reused at once instead of
// whenever the garbage collector next runs. allocate(n) returns a zeroed Float32Array over
// 64-byte-aligned memory (allocate(n, false) skips the zeroing, for outputs a kernel writes in
// full); release(array) detaches it (every view of it becomes empty) and keeps
// the block for the next allocation of the same size: training and generation allocate the same
// shapes every step, and fresh pages from the kernel cost more than the arithmetic on them.
// The cache holds at most IRLENS_STORAGE_CACHE_MB (default 256) and frees the oldest beyond it.
// Storage that is never released is freed when its ArrayBuffer is collected.
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <mutex>

#include <sys/mman.h>

#include "kernels.h"

namespace irlens {
namespace {

// Released blocks by size, plus their release order for evicting the oldest.
struct BlockCache {
  std::unordered_map<size_t, std::vector<void*>> by_size;
  std::deque<std::pair<void*, size_t>> order;
  size_t bytes = 0;
  size_t limit = 0;
};

BlockCache& Cache() {
  static BlockCache cache = [] {
    BlockCache c;
    const char* mb = std::getenv("IRLENS_STORAGE_CACHE_MB");
    c.limit = static_cast<size_t>(mb ? std::strtoull(mb, nullptr, 10) : 256) << 20;
    return c;
  }();
  return cache;
}

// Large blocks come straight from the kernel and go straight back on eviction, so the process's
// memory follows the cache rather than the C allocator's own heuristics. Page faults are costly
// (each one exits to the hypervisor on a VM), so blocks of 2 MB and more are backed by huge pages
// and smaller ones are populated in one call.
constexpr size_t kMapBytes = 1 << 20;
constexpr size_t kHugePage = 2 << 20;
constexpr size_t kHugeBlock = 2 << 20;

size_t MappedLength(size_t bytes) { return bytes >= kHugeBlock ? (bytes + kHugePage - 1) & ~(kHugePage - 1) : bytes; }

// MAP_POPULATE and MADV_HUGEPAGE are Linux's; elsewhere (macOS) the pages fault in one by one
// and the kernel decides about large pages itself.
#if defined(MAP_POPULATE)
constexpr int kPopulate = MAP_POPULATE;
#else
constexpr int kPopulate = 0;
#endif

void* NewBlock(size_t bytes) {
  if (bytes < kMapBytes) return std::aligned_alloc(64, bytes);
  if (bytes < kHugeBlock) {
    void* block = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | kPopulate, -1, 0);
    return block == MAP_FAILED ? nullptr : block;
  }
  // Over-map by one huge page, then trim to a 2 MB-aligned range the kernel can back with huge pages.
  const size_t length = MappedLength(bytes);
  void* raw = mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t(kHugePage) - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + length + kHugePage;
  if (end > aligned + length) munmap(reinterpret_cast<void*>(aligned + length), end - (aligned + length));
  void* block = reinterpret_cast<void*>(aligned);
#if defined(MADV_HUGEPAGE)
  madvise(block, length, MADV_HUGEPAGE);
#endif
  return block;
}

void DeleteBlock(void* block, size_t bytes) {
  if (bytes < kMapBytes) std::free(block);
  else munmap(block, MappedLength(bytes));
}

size_t BlockBytes(size_t elements) { return ((elements * sizeof(float) > 0 ? elements * sizeof(float) : 1) + 63) & ~size_t(63); }

void* TakeCached(size_t bytes) {
  BlockCache& c = Cache();
  auto it = c.by_size.find(bytes);
  if (it == c.by_size.end() || it->second.empty()) return nullptr;
  void* block = it->second.back();
  it->second.pop_back();
  c.bytes -= bytes;
  for (auto o = c.order.begin(); o != c.order.end(); ++o) {
    if (o->first == block) {
      c.order.erase(o);
      break;
    }
  }
  return block;
}

void CacheBlock(void* block, size_t bytes) {
  BlockCache& c = Cache();
  if (bytes > c.limit) {
    DeleteBlock(block, bytes);
    return;
  }
  c.by_size[bytes].push_back(block);
  c.order.emplace_back(block, bytes);
  c.bytes += bytes;
  while (c.bytes > c.limit) {
    auto [oldest, size] = c.order.front();
    c.order.pop_front();
    auto& list = c.by_size[size];
    for (auto b = list.begin(); b != list.end(); ++b) {
      if (*b == oldest) {
        list.erase(b);
        break;
      }
    }
    c.bytes -= size;
    DeleteBlock(oldest, size);
  }
}

// Live blocks: size and a serial number. A block goes back to the cache on release() and may be
// handed out again at once, while the detached ArrayBuffer's finalizer can still run later; the
// serial number lets that late finalizer see the block is no longer its own.
struct LiveBlock {
  size_t bytes;
  uint64_t serial;
};

std::unordered_map<void*, LiveBlock>& Live() {
  static std::unordered_map<void*, LiveBlock> live;
  return live;
}

// The bookkeeping is shared by every thread that runs JavaScript (the CLI runs pipelines in a
// worker), so it is guarded.
std::mutex& Guard() {
  static std::mutex guard;
  return guard;
}

// Tells V8 how much memory live tensors hold, so that tensors nobody disposed are collected
// (and their blocks reclaimed) as promptly as if they were ordinary JavaScript memory.
void AccountExternal(Napi::Env env, int64_t delta) { Napi::MemoryManagement::AdjustExternalMemory(env, delta); }

// Returns the block to the cache if it is still the allocation numbered `serial`.
void FreeBlock(Napi::Env env, void* data, uint64_t serial) {
  size_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(Guard());
    auto it = Live().find(data);
    if (it == Live().end() || it->second.serial != serial) return;
    bytes = it->second.bytes;
    Live().erase(it);
    CacheBlock(data, bytes);
  }
  AccountExternal(env, -static_cast<int64_t>(bytes));
}

Napi::Value Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "allocate: expects the number of float32 elements").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double count = info[0].As<Napi::Number>().DoubleValue();
  if (!(count >= 0) || count != static_cast<double>(static_cast<int64_t>(count)) || count > 4e9) {
    Napi::RangeError::New(env, "allocate: element count must be a whole number between 0 and 4e9").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const bool zero = info.Length() < 2 || !info[1].IsBoolean() || info[1].As<Napi::Boolean>().Value();
  const size_t elements = static_cast<size_t>(count);
  const size_t bytes = elements * sizeof(float);
  const size_t padded = BlockBytes(elements);
  static uint64_t next_serial = 0;
  void* data = nullptr;
  bool fresh = false;
  uint64_t serial = 0;
  {
    std::lock_guard<std::mutex> lock(Guard());
    data = TakeCached(padded);
    fresh = data == nullptr;
    if (fresh) data = NewBlock(padded);
    if (data) {
      serial = ++next_serial;
      Live()[data] = {padded, serial};
    }
  }
  if (!data) {
    Napi::Error::New(env, "allocate: out of memory for " + std::to_string(bytes) + " bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (zero && (!fresh || padded < kMapBytes)) std::memset(data, 0, bytes);  // fresh mapped pages are zero
  AccountExternal(env, static_cast<int64_t>(padded));
  // The serial rides along as the finalizer's hint; it is never dereferenced.
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
      env, data, bytes,
      [](Napi::Env finalizeEnv, void* block, void* hint) { FreeBlock(finalizeEnv, block, reinterpret_cast<uintptr_t>(hint)); },
      reinterpret_cast<void*>(static_cast<uintptr_t>(serial)));
  return Napi::Float32Array::New(env, elements, buffer, 0);
}

Napi::Value Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) return env.Undefined();
  Napi::ArrayBuffer buffer = info[0].As<Napi::TypedArray>().ArrayBuffer();
  void* data = buffer.Data();
  // Only memory this addon allocated is released; anything else is left to the collector.
  uint64_t serial = 0;
  {
    std::lock_guard<std::mutex> lock(Guard());
    auto it = Live().find(data);
    if (data == nullptr || it == Live().end()) return Napi::Boolean::New(env, false);
    serial = it->second.serial;
  }
  buffer.Detach();
  FreeBlock(env, data, serial);
  return Napi::Boolean::New(env, true);
}

}  // namespace

void RegisterStorage(Napi::Env env, Napi::Object exports) {
  exports.Set("allocate", Napi::Function::New(env, Allocate, "allocate"));
  exports.Set("release", Napi::Function::New(env, Release, "release"));
}

}  // namespace irlens
