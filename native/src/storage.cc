// Tensor storage owned by the addon, so a disposed tensor's memory is reused at once instead of
// whenever the garbage collector next runs. allocate(n) returns a zeroed Float32Array over
// 64-byte-aligned memory; release(array) detaches it (every view of it becomes empty) and keeps
// the block for the next allocation of the same size: training and generation allocate the same
// shapes every step, and fresh pages from the kernel cost more than the arithmetic on them.
// The cache holds at most IRLENS_STORAGE_CACHE_MB (default 256) and frees the oldest beyond it.
// Storage that is never released is freed when its ArrayBuffer is collected.
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <sys/mman.h>

#include "kernels.h"

namespace irlens {
namespace {

// Memory this addon handed out and has not yet freed; guards against double frees when a
// released buffer's ArrayBuffer is collected later, and against releasing foreign memory.
std::unordered_set<void*>& LiveBlocks() {
  static std::unordered_set<void*> blocks;
  return blocks;
}

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

void* NewBlock(size_t bytes) {
  if (bytes < kMapBytes) return std::aligned_alloc(64, bytes);
  if (bytes < kHugeBlock) {
    void* block = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
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
  madvise(block, length, MADV_HUGEPAGE);
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

// Live blocks and their sizes: only these may be released or finalized, each once.
std::unordered_map<void*, size_t>& Sizes() {
  static std::unordered_map<void*, size_t> sizes;
  return sizes;
}

// Tells V8 how much memory live tensors hold, so that tensors nobody disposed are collected
// (and their blocks reclaimed) as promptly as if they were ordinary JavaScript memory.
void AccountExternal(Napi::Env env, int64_t delta) { Napi::MemoryManagement::AdjustExternalMemory(env, delta); }

void FreeBlock(Napi::Env env, void* data) {
  auto it = Sizes().find(data);
  if (it == Sizes().end()) return;
  const size_t bytes = it->second;
  AccountExternal(env, -static_cast<int64_t>(bytes));
  Sizes().erase(it);
  LiveBlocks().erase(data);
  CacheBlock(data, bytes);
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
  const size_t elements = static_cast<size_t>(count);
  const size_t bytes = elements * sizeof(float);
  const size_t padded = BlockBytes(elements);
  void* data = TakeCached(padded);
  const bool fresh = data == nullptr;
  if (fresh) data = NewBlock(padded);
  if (!data) {
    Napi::Error::New(env, "allocate: out of memory for " + std::to_string(bytes) + " bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!fresh || padded < kMapBytes) std::memset(data, 0, bytes);  // fresh mapped pages are zero
  LiveBlocks().insert(data);
  Sizes()[data] = padded;
  AccountExternal(env, static_cast<int64_t>(padded));
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, data, bytes, [](Napi::Env finalizeEnv, void* block) { FreeBlock(finalizeEnv, block); });
  return Napi::Float32Array::New(env, elements, buffer, 0);
}

Napi::Value Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) return env.Undefined();
  Napi::ArrayBuffer buffer = info[0].As<Napi::TypedArray>().ArrayBuffer();
  void* data = buffer.Data();
  // Only memory this addon allocated is released; anything else is left to the collector.
  if (data == nullptr || LiveBlocks().count(data) == 0) return Napi::Boolean::New(env, false);
  buffer.Detach();
  FreeBlock(env, data);
  return Napi::Boolean::New(env, true);
}

}  // namespace

void RegisterStorage(Napi::Env env, Napi::Object exports) {
  exports.Set("allocate", Napi::Function::New(env, Allocate, "allocate"));
  exports.Set("release", Napi::Function::New(env, Release, "release"));
}

}  // namespace irlens
