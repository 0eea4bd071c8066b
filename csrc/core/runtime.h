// SPDX-License-Identifier: Apache-2.0
// Process-wide libtorch settings (intra-op threads) and facts about the runtime (versions, which BLAS
// library is actually mapped). Debian's libtorch starts with one intra-op thread; we use the machine's cores.
#pragma once

#include <string>

namespace fsllm {

// Sets intra-op threads: `threads` if > 0, else $FSLLM_NUM_THREADS, else the cores available to us.
int configure_threads(int threads);
int current_threads();

struct RuntimeInfo {
  std::string torch_version;
  std::string blas;   // library file actually loaded (e.g. libopenblas.so.0), or "unknown"
  bool cuda_available = false;
  int threads = 1;
};

RuntimeInfo runtime_info();

}  // namespace fsllm
