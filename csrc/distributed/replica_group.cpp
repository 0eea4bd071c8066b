// SPDX-License-Identifier: Apache-2.0
// ReplicaGroup over c10d; see replica_group.h. Without gloo's headers (FSLLM_WITH_GLOO unset by
// CMakeLists.txt) a group cannot be made: the constructor says how to get them.
#include "distributed/replica_group.h"

#include "core/error.h"

#ifndef FSLLM_WITH_GLOO

namespace fsllm::distributed {

struct ReplicaGroup::State {};

namespace {
[[noreturn]] void no_gloo() {
  throw Error(ErrorCode::kUnsupported,
              "This build of fsllm-native has no data parallelism: it was compiled without gloo's headers. Install them "
              "(Debian/Ubuntu: apt-get install libgloo-dev) and rebuild with npm run build:native");
}
}  // namespace

ReplicaGroup::ReplicaGroup(GroupOptions) { no_gloo(); }
ReplicaGroup::~ReplicaGroup() = default;
void ReplicaGroup::connect() { no_gloo(); }
int ReplicaGroup::port() const { no_gloo(); }
int ReplicaGroup::rank() const { no_gloo(); }
int ReplicaGroup::world() const { no_gloo(); }
void ReplicaGroup::broadcast(std::vector<torch::Tensor>&) { no_gloo(); }
void ReplicaGroup::all_reduce_sum(std::vector<torch::Tensor>&) { no_gloo(); }
void ReplicaGroup::post_command(const std::vector<double>&) { no_gloo(); }
std::vector<double> ReplicaGroup::next_command(const std::atomic<bool>&) { no_gloo(); }

}  // namespace fsllm::distributed

#else

#include <cstring>
#include <map>
#include <thread>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace fsllm::distributed {

namespace {

// Any failure of c10d or gloo (a peer's socket closed, a timeout) leaves the group unusable: it becomes one
// coded error that names the operation; our own errors (an abort) pass through.
template <typename F>
auto guarded(const char* operation, int rank, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::kDistributed, std::string("Data-parallel ") + operation + " failed on rank " + std::to_string(rank) +
                                             " (a rank exited, was killed or timed out): " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kDistributed, std::string("Data-parallel ") + operation + " failed on rank " + std::to_string(rank) +
                                             " (a rank exited, was killed or timed out): " + e.what());
  }
}

std::string command_key(int64_t sequence) { return "fsllm/command/" + std::to_string(sequence); }

// Collectives run on one flat buffer per dtype: one message instead of one per tensor. gloo has no bool,
// so bool tensors travel as bytes.
using Buckets = std::map<c10::ScalarType, std::vector<size_t>>;

Buckets bucket_by_dtype(const std::vector<torch::Tensor>& tensors) {
  Buckets buckets;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto dtype = tensors[i].scalar_type() == torch::kBool ? torch::kByte : tensors[i].scalar_type();
    buckets[dtype].push_back(i);
  }
  return buckets;
}

torch::Tensor flatten(const std::vector<torch::Tensor>& tensors, const std::vector<size_t>& indices, c10::ScalarType dtype) {
  std::vector<torch::Tensor> parts;
  for (auto i : indices) parts.push_back(tensors[i].detach().reshape({-1}).to(torch::kCPU, dtype));
  return torch::cat(parts);
}

void unflatten(const torch::Tensor& flat, std::vector<torch::Tensor>& tensors, const std::vector<size_t>& indices) {
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto i : indices) {
    auto& t = tensors[i];
    t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

enum class Collective { kBroadcast, kAllReduceSum };

// `kind` over `tensors` in place, one flat buffer per dtype. A broadcast's receivers send nothing, so their
// buffer is only allocated, and rank 0 keeps its own values.
void run_collective(c10d::ProcessGroup& group, int rank, Collective kind, std::vector<torch::Tensor>& tensors) {
  const bool sends = kind == Collective::kAllReduceSum || rank == 0;
  const bool receives = kind == Collective::kAllReduceSum || rank != 0;
  for (auto& [dtype, indices] : bucket_by_dtype(tensors)) {
    int64_t count = 0;
    for (auto i : indices) count += tensors[i].numel();
    std::vector<torch::Tensor> flat{sends ? flatten(tensors, indices, dtype) : torch::empty({count}, dtype)};
    if (kind == Collective::kBroadcast) {
      c10d::BroadcastOptions options;
      options.rootRank = 0;
      group.broadcast(flat, options)->wait();
    } else {
      c10d::AllreduceOptions options;
      options.reduceOp = c10d::ReduceOp::SUM;
      group.allreduce(flat, options)->wait();
    }
    if (receives) unflatten(flat[0], tensors, indices);
  }
}

}  // namespace

struct ReplicaGroup::State {
  GroupOptions options;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  int port = 0;
  int64_t posted = 0;  // rank 0: commands posted
  int64_t read = 0;    // other ranks: commands read
};

ReplicaGroup::ReplicaGroup(GroupOptions options) : state_(std::make_unique<State>()) {
  FSLLM_CHECK(options.world >= 1, ErrorCode::kInvalidArg, "Expected worldSize >= 1 but received " + std::to_string(options.world));
  FSLLM_CHECK(options.rank >= 0 && options.rank < options.world, ErrorCode::kInvalidArg,
              "Expected rank in [0, " + std::to_string(options.world) + ") but received " + std::to_string(options.rank));
  FSLLM_CHECK(options.port >= 0 && options.port <= 65535, ErrorCode::kInvalidArg,
              "Expected port in [0, 65535] but received " + std::to_string(options.port));
  state_->options = options;
  state_->port = options.port;
  if (options.rank != 0) return;
  guarded("store start", 0, [&] {
    c10d::TCPStoreOptions store;
    store.port = static_cast<std::uint16_t>(options.port);
    store.isServer = true;
    store.numWorkers = static_cast<std::size_t>(options.world);
    store.waitWorkers = false;  // the other ranks are started after this returns, with port()
    store.timeout = options.timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(options.host, store);
    state_->port = tcp->getPort();
    state_->store = tcp;
  });
}

ReplicaGroup::~ReplicaGroup() = default;

void ReplicaGroup::connect() {
  auto& s = *state_;
  FSLLM_CHECK(!s.group, ErrorCode::kInvalidArg, "This ReplicaGroup is already connected");
  guarded("rendezvous", s.options.rank, [&] {
    if (!s.store) {
      c10d::TCPStoreOptions store;
      store.port = static_cast<std::uint16_t>(s.options.port);
      store.isServer = false;
      store.timeout = s.options.timeout;
      s.store = c10::make_intrusive<c10d::TCPStore>(s.options.host, store);
    }
    auto options = c10d::ProcessGroupGloo::Options::create(s.options.timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(s.options.host));
    options->threads = 1;  // one collective at a time: a step waits for each before it goes on
    s.group = c10::make_intrusive<c10d::ProcessGroupGloo>(s.store, s.options.rank, s.options.world, options);
  });
}

int ReplicaGroup::port() const { return state_->port; }
int ReplicaGroup::rank() const { return state_->options.rank; }
int ReplicaGroup::world() const { return state_->options.world; }

void ReplicaGroup::broadcast(std::vector<torch::Tensor>& tensors) {
  auto& s = *state_;
  FSLLM_CHECK(s.group, ErrorCode::kInvalidArg, "The ReplicaGroup is not connected: call connect() first");
  guarded("broadcast", s.options.rank, [&] { run_collective(*s.group, s.options.rank, Collective::kBroadcast, tensors); });
}

void ReplicaGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  auto& s = *state_;
  FSLLM_CHECK(s.group, ErrorCode::kInvalidArg, "The ReplicaGroup is not connected: call connect() first");
  guarded("all-reduce", s.options.rank, [&] { run_collective(*s.group, s.options.rank, Collective::kAllReduceSum, tensors); });
}

void ReplicaGroup::post_command(const std::vector<double>& command) {
  auto& s = *state_;
  FSLLM_CHECK(s.options.rank == 0, ErrorCode::kInvalidArg, "Only rank 0 posts commands");
  guarded("command", 0, [&] {
    std::vector<uint8_t> bytes(command.size() * sizeof(double));
    std::memcpy(bytes.data(), command.data(), bytes.size());
    s.store->set(command_key(s.posted), bytes);
    // Every command but the last (stop) is followed by a collective, which completes on rank 0 only after
    // every rank read that command: when command k is posted, k - 2 has been read everywhere.
    if (s.posted >= 2) s.store->deleteKey(command_key(s.posted - 2));
    ++s.posted;
  });
}

std::vector<double> ReplicaGroup::next_command(const std::atomic<bool>& abort) {
  auto& s = *state_;
  FSLLM_CHECK(s.options.rank != 0 && s.store, ErrorCode::kInvalidArg, "Only a connected rank other than 0 reads commands");
  const auto key = command_key(s.read);
  // Polled rather than waited on: a rank idles between rounds for as long as the federation takes, which
  // no store timeout should bound, and it must notice `abort` (and rank 0's store going away) meanwhile.
  auto pause = std::chrono::milliseconds(1);
  while (!guarded("command wait", s.options.rank, [&] { return s.store->check({key}); })) {
    FSLLM_CHECK(!abort.load(), ErrorCode::kAborted, "Serving rank 0 was aborted");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  auto bytes = guarded("command read", s.options.rank, [&] { return s.store->get(key); });
  ++s.read;
  std::vector<double> command(bytes.size() / sizeof(double));
  std::memcpy(command.data(), bytes.data(), command.size() * sizeof(double));
  return command;
}

}  // namespace fsllm::distributed

#endif  // FSLLM_WITH_GLOO
