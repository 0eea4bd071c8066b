// SPDX-License-Identifier: Apache-2.0
// See cpu_block_cache.h. Blocks are kept per size class (eight classes per power of two, so a reused
// block wastes at most 1/8); the most recently freed block of a class is reused first (warm in cache).
#include "core/cpu_block_cache.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#ifdef __linux__
#include <unistd.h>
#endif

namespace fsllm {

namespace {

constexpr size_t kMinCachedBytes = size_t{256} << 10;

size_t size_class(size_t n) {
  // Round up to a multiple of 1/8 of the largest power of two not above n.
  size_t high = size_t{1} << (63 - __builtin_clzll(n));
  const size_t step = std::max<size_t>(high / 8, 64);
  return (n + step - 1) / step * step;
}

size_t default_limit() {
  if (const char* env = std::getenv("FSLLM_CPU_CACHE_MB")) return static_cast<size_t>(std::atoll(env)) << 20;
  size_t limit = size_t{2} << 30;
#ifdef __linux__
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) limit = std::min(limit, static_cast<size_t>(pages) * static_cast<size_t>(page) / 8);
#endif
  return limit;
}

class CpuBlockCache final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t nbytes) const override {
    if (nbytes < kMinCachedBytes) {
      void* data = c10::alloc_cpu(nbytes);
      return {data, data, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
    }
    void* data = take(size_class(nbytes));
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  static CpuBlockCache& instance() {
    static CpuBlockCache* cache = new CpuBlockCache();  // never destroyed: tensors may outlive static teardown
    return *cache;
  }

  void set_limit(size_t limit) {
    std::vector<void*> dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.limit_bytes = limit;
      evict_to(limit, dropped);
    }
    for (void* p : dropped) c10::free_cpu(p);
  }

  CpuBlockCacheStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  void* take(size_t bytes) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* data = it->second.back();
        it->second.pop_back();
        stats_.cached_bytes -= bytes;
        stats_.live_bytes += bytes;
        stats_.hits += 1;
        live_.emplace(data, bytes);
        return data;
      }
    }
    void* data = c10::alloc_cpu(bytes);  // throws c10::Error when out of memory
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.live_bytes += bytes;
    stats_.misses += 1;
    live_.emplace(data, bytes);
    return data;
  }

  static void release(void* data) {
    auto& self = instance();
    std::vector<void*> dropped;
    {
      std::lock_guard<std::mutex> lock(self.mutex_);
      auto it = self.live_.find(data);
      if (it == self.live_.end()) {
        dropped.push_back(data);  // a small block (raw_deleter path)
      } else {
        const size_t bytes = it->second;
        self.live_.erase(it);
        self.stats_.live_bytes -= bytes;
        if (bytes > self.stats_.limit_bytes) {
          dropped.push_back(data);
        } else {
          self.free_[bytes].push_back(data);
          self.stats_.cached_bytes += bytes;
          self.evict_to(self.stats_.limit_bytes, dropped);
        }
      }
    }
    for (void* p : dropped) c10::free_cpu(p);
  }

  // Frees the largest cached blocks first until at most `limit` bytes stay cached. Caller holds mutex_.
  void evict_to(size_t limit, std::vector<void*>& dropped) const {
    while (stats_.cached_bytes > limit && !free_.empty()) {
      auto it = std::prev(free_.end());
      if (it->second.empty()) {
        free_.erase(it);
        continue;
      }
      dropped.push_back(it->second.front());
      it->second.erase(it->second.begin());
      stats_.cached_bytes -= it->first;
    }
  }

  mutable std::mutex mutex_;
  mutable std::map<size_t, std::vector<void*>> free_;
  mutable std::unordered_map<void*, size_t> live_;
  mutable CpuBlockCacheStats stats_;
};

}  // namespace

void install_cpu_block_cache() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    auto& cache = CpuBlockCache::instance();
    cache.set_limit(default_limit());
    // Priority 1 outranks libtorch's own default allocator (registered with priority 0).
    c10::SetCPUAllocator(&cache, /*priority=*/1);
  });
}

void set_cpu_block_cache_limit(size_t limit_bytes) { CpuBlockCache::instance().set_limit(limit_bytes); }

void release_cpu_block_cache() {
  auto& cache = CpuBlockCache::instance();
  const size_t limit = cache.stats().limit_bytes;
  cache.set_limit(0);
  cache.set_limit(limit);
}

CpuBlockCacheStats cpu_block_cache_stats() { return CpuBlockCache::instance().stats(); }

}  // namespace fsllm
