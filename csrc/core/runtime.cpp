// SPDX-License-Identifier: Apache-2.0
// Thread configuration and runtime facts; see runtime.h.
#include "core/runtime.h"

#include <cstdlib>
#include <fstream>
#include <thread>

#include <torch/version.h>

#ifdef __linux__
#include <dlfcn.h>
#include <sched.h>
#endif

namespace fsllm {

namespace {

int available_cores() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
#endif
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// The BLAS shared object mapped into this process: Debian routes libblas.so.3 through alternatives, so the
// library name in the build config does not say which implementation runs.
std::string mapped_blas() {
#ifdef __linux__
  {
    // A small matmul makes libtorch resolve its BLAS if it is loaded lazily.
    auto a = torch::ones({8, 8});
    (void)torch::matmul(a, a);
  }
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::string generic = "unknown";
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    auto path = line.substr(slash);
    for (const char* name : {"libopenblas", "libmkl", "libblis"}) {
      if (path.find(name) != std::string::npos) return path;
    }
    if (path.find("libblas.so") != std::string::npos) generic = path;  // reference BLAS, unless a named one shows up
  }
  return generic;
#else
  return "unknown";
#endif
}

}  // namespace

int configure_threads(int threads) {
  if (threads <= 0) {
    if (const char* env = std::getenv("FSLLM_NUM_THREADS")) threads = std::atoi(env);
  }
  if (threads <= 0) threads = available_cores();
  at::set_num_threads(threads);
#ifdef __linux__
  // OpenBLAS (Debian's libtorch BLAS) keeps its own pool, which ignores at::set_num_threads.
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set_blas(threads);
#endif
  return at::get_num_threads();
}

int current_threads() { return at::get_num_threads(); }

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.torch_version = TORCH_VERSION;
  info.blas = mapped_blas();
  info.cuda_available = torch::cuda::is_available();
  info.threads = at::get_num_threads();
  return info;
}

}  // namespace fsllm
