// SPDX-License-Identifier: Apache-2.0
// Keeps fork() and native compute apart. Node forks for every child process it starts (spawn, execFile),
// and fork runs OpenBLAS's prefork handler (blas_thread_shutdown_), which joins the BLAS worker threads. If
// a libtorch op on another thread is driving those workers at that moment, the join never returns and the
// forking thread (the JS thread) hangs for ever. So a thread that computes holds a ComputeScope, fork's
// prepare handler waits until no thread is inside one, and long computations call fork_yield_point()
// between steps so that a fork waits one step, not a whole job.
#pragma once

namespace fsllm {

// Registers the fork handlers; idempotent. Call after libtorch (and so its BLAS) is loaded: prepare
// handlers run in reverse order of registration, and ours must run before OpenBLAS's.
void install_fork_gate();

// This thread runs native compute while it holds one (nesting is fine). Waits while a fork is under way.
class ComputeScope {
 public:
  ComputeScope();
  ~ComputeScope();
  ComputeScope(const ComputeScope&) = delete;
  ComputeScope& operator=(const ComputeScope&) = delete;
};

// Between two steps of a long computation: if a fork is waiting, steps out of the compute scope until the
// fork is done. A no-op on a thread outside any ComputeScope.
void fork_yield_point();

}  // namespace fsllm
