// SPDX-License-Identifier: Apache-2.0
// Fork handlers and compute scopes; see fork_gate.h.
#include "core/fork_gate.h"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace fsllm {

namespace {

// Heap-allocated and never freed: the child re-creates them (another thread may have held the mutex at the
// instant of fork, and the child has only the forking thread), and they must outlive static destructors.
struct GateState {
  std::mutex mutex;
  std::condition_variable changed;
  int computing = 0;            // threads inside a ComputeScope and not parked at a yield point
  std::atomic<int> forks{0};    // forks waiting for compute to stop, or under way
};

GateState* g_state = new GateState();
thread_local int t_depth = 0;
std::once_flag g_installed;

void wait_for_no_fork(std::unique_lock<std::mutex>& lock) {
  g_state->changed.wait(lock, [] { return g_state->forks.load() == 0; });
}

void prepare_fork() {
  std::unique_lock<std::mutex> lock(g_state->mutex);
  g_state->forks.fetch_add(1);
  // The forking thread may itself be computing (a fork from inside a job): do not wait for ourselves.
  const int own = t_depth > 0 ? 1 : 0;
  g_state->changed.wait(lock, [own] { return g_state->computing <= own; });
}

void after_fork_in_parent() {
  {
    std::lock_guard<std::mutex> lock(g_state->mutex);
    g_state->forks.fetch_sub(1);
  }
  g_state->changed.notify_all();
}

void after_fork_in_child() {
  // Only this thread survives; its own scope, if any, is the only compute left.
  g_state = new GateState();
  g_state->computing = t_depth > 0 ? 1 : 0;
}

}  // namespace

void install_fork_gate() {
  std::call_once(g_installed, [] { pthread_atfork(prepare_fork, after_fork_in_parent, after_fork_in_child); });
}

ComputeScope::ComputeScope() {
  if (t_depth++ > 0) return;
  std::unique_lock<std::mutex> lock(g_state->mutex);
  wait_for_no_fork(lock);
  ++g_state->computing;
}

ComputeScope::~ComputeScope() {
  if (--t_depth > 0) return;
  {
    std::lock_guard<std::mutex> lock(g_state->mutex);
    --g_state->computing;
  }
  g_state->changed.notify_all();
}

void fork_yield_point() {
  if (t_depth == 0 || g_state->forks.load(std::memory_order_relaxed) == 0) return;
  std::unique_lock<std::mutex> lock(g_state->mutex);
  --g_state->computing;
  g_state->changed.notify_all();
  wait_for_no_fork(lock);
  ++g_state->computing;
}

}  // namespace fsllm
