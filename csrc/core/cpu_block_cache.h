// SPDX-License-Identifier: Apache-2.0
// A caching CPU allocator for libtorch. A training step allocates and frees the same large activation and
// gradient buffers every step; through malloc each of them comes back as fresh pages that the kernel must
// fault in and zero (about 0.75 GB of page faults per SmolLM2-135M step at 4 x 256 tokens). Keeping freed
// blocks of 256 KiB and more for reuse removes that work. Smaller blocks go straight to malloc, whose bins
// already reuse them.
#pragma once

#include <cstddef>

namespace fsllm {

struct CpuBlockCacheStats {
  size_t cached_bytes = 0;   // freed blocks held for reuse
  size_t live_bytes = 0;     // blocks of cacheable size handed out and not yet freed
  size_t limit_bytes = 0;    // cached_bytes never exceeds this
  size_t hits = 0;
  size_t misses = 0;
};

// Installs the cache as libtorch's CPU allocator (once; later calls only change the limit). The limit is
// `limit_bytes` if given, else $FSLLM_CPU_CACHE_MB, else 1/8 of physical memory capped at 2 GiB; 0 turns
// caching off (every block is freed at once).
void install_cpu_block_cache();
// Frees cached blocks until at most `limit_bytes` stay (memory in use is untouched).
void set_cpu_block_cache_limit(size_t limit_bytes);
// Frees every cached block, keeping the limit: after a one-off burst (a model load decodes each tensor
// once) whose blocks no later step will ask for again.
void release_cpu_block_cache();
CpuBlockCacheStats cpu_block_cache_stats();

}  // namespace fsllm
