// SPDX-License-Identifier: Apache-2.0
// Data-parallel steps; see replica_step.h.
#include "train/replica_step.h"

#include "core/error.h"

namespace fsllm::train {

namespace {

// A command is a vector of doubles (Replicas::post_command); these are its fields, then (B, T) per micro-batch.
enum Field : size_t {
  kKind,
  kSync,            // 1: the state broadcast (sync_state) precedes the batches
  kLr,
  kMaxGradNorm,
  kPrecision,
  kProximalMu,
  kProximalMode,
  kCheckpoint,
  kSeed,            // each rank draws dropout from seed + rank
  kTrainableValues, // rank 0's trainable element count: a replica with another adapter layout refuses
  kOptimizerValues, // length of the optimizer state sent with kSync
  kHasAnchor,
  kLossScale,
  kScalerGoodSteps,
  kMicroBatches,
  kHasSegments,
  kHeader,          // first (B, T) pair
};
enum Kind { kStep = 1, kStop = 2 };

int64_t trainable_values(TrainSession& session) {
  int64_t n = 0;
  for (const auto& p : session.optimizer().params()) n += p.numel();
  return n;
}

int64_t bytes_of(const std::vector<torch::Tensor>& tensors) {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.numel() * static_cast<int64_t>(t.element_size());
  return n;
}

// Rank 0's trainable tensors, optimizer state, anchor and loss scale onto every rank. The command carries
// the sizes, so the other ranks allocate before the broadcast.
// `optimizer` is rank 0's exported state there and a buffer of its length elsewhere.
int64_t sync_state(TrainSession& session, Replicas& replicas, const std::vector<double>& command, torch::Tensor optimizer) {
  torch::NoGradGuard no_grad;
  const bool lead = replicas.rank() == 0;
  const auto& params = session.optimizer().params();
  std::vector<torch::Tensor> tensors(params.begin(), params.end());
  tensors.push_back(optimizer);
  std::vector<torch::Tensor> anchor;
  if (command[kHasAnchor] != 0.0) {
    for (size_t i = 0; i < params.size(); ++i) {
      anchor.push_back(lead ? session.proximal_anchor()[i] : torch::empty_like(params[i]));
    }
    tensors.insert(tensors.end(), anchor.begin(), anchor.end());
  }
  replicas.broadcast(tensors);
  if (!lead) {
    session.import_optimizer_state(tensors[params.size()]);
    if (anchor.empty()) {
      session.clear_proximal_anchor();
    } else {
      session.adopt_proximal_anchor(std::vector<torch::Tensor>(tensors.begin() + params.size() + 1, tensors.end()));
    }
    session.scaler().restore({command[kLossScale], static_cast<int64_t>(command[kScalerGoodSteps])});
  }
  return bytes_of(tensors);
}

StepOptions options_of(const std::vector<double>& c) {
  StepOptions o;
  o.lr = c[kLr];
  o.max_grad_norm = c[kMaxGradNorm];
  o.precision = static_cast<amp::Precision>(static_cast<int>(c[kPrecision]));
  o.proximal_mu = c[kProximalMu];
  o.proximal_mode = static_cast<ProximalMode>(static_cast<int>(c[kProximalMode]));
  o.checkpoint_activations = c[kCheckpoint] != 0.0;
  return o;
}

// The step's micro-batches onto every rank: rank 0 sends its own; the others allocate from the command.
std::vector<MicroBatch> share_batches(Replicas& replicas, const std::vector<double>& c, std::vector<MicroBatch> batches,
                                      torch::Device device, int64_t* bytes) {
  const auto n = static_cast<size_t>(c[kMicroBatches]);
  const bool segments = c[kHasSegments] != 0.0;
  if (replicas.rank() != 0) {
    for (size_t i = 0; i < n; ++i) {
      const auto B = static_cast<int64_t>(c[kHeader + 2 * i]), T = static_cast<int64_t>(c[kHeader + 2 * i + 1]);
      auto ids = torch::empty({B, T}, torch::kLong);
      batches.push_back({ids, torch::empty_like(ids), torch::empty({B, T}, torch::kBool),
                         segments ? torch::empty_like(ids) : torch::Tensor()});
    }
  }
  std::vector<torch::Tensor> tensors;
  for (auto& b : batches) {
    for (auto* t : {&b.ids, &b.labels, &b.mask, &b.segments}) {
      if (t->defined()) tensors.push_back(t->cpu().contiguous());
    }
  }
  replicas.broadcast(tensors);
  *bytes = bytes_of(tensors);
  size_t next = 0;
  for (auto& b : batches) {
    for (auto* t : {&b.ids, &b.labels, &b.mask, &b.segments}) {
      if (t->defined()) *t = tensors[next++].to(device);
    }
  }
  return batches;
}

void seed_rank(const std::vector<double>& c, int rank) {
  torch::manual_seed(static_cast<uint64_t>(c[kSeed]) + static_cast<uint64_t>(rank));
}

}  // namespace

ReplicaLeader::SyncedState ReplicaLeader::current(TrainSession& session, const Replicas& replicas) {
  return {replicas.serial(), &session, session.model().adapter_version(), session.model().weights_version(), session.state_version()};
}

StepMetrics ReplicaLeader::step(TrainSession& session, Replicas& replicas, const std::vector<MicroBatch>& batches,
                                const StepOptions& options, const std::atomic<bool>& abort) {
  FSLLM_CHECK(replicas.rank() == 0, ErrorCode::kInvalidArg, "Only rank 0 leads data-parallel steps");
  // What train_step would refuse is refused before anything is posted, so the group stays usable.
  session.check_step(batches, options);
  const bool sync = !(synced_ == current(session, replicas));
  const auto optimizer_state = sync ? session.optimizer().export_state() : torch::Tensor();
  const auto scaler = session.scaler().state();
  std::vector<double> c(kHeader);
  c[kKind] = kStep;
  c[kSync] = sync ? 1.0 : 0.0;
  c[kLr] = options.lr;
  c[kMaxGradNorm] = options.max_grad_norm;
  c[kPrecision] = static_cast<double>(static_cast<int>(options.precision));
  c[kProximalMu] = options.proximal_mu;
  c[kProximalMode] = static_cast<double>(static_cast<int>(options.proximal_mode));
  c[kCheckpoint] = options.checkpoint_activations ? 1.0 : 0.0;
  // Below 2^53, so the seed survives the trip through a double.
  c[kSeed] = static_cast<double>(torch::randint(int64_t{1} << 52, {1}, torch::kLong).item<int64_t>());
  c[kTrainableValues] = static_cast<double>(trainable_values(session));
  c[kOptimizerValues] = sync ? static_cast<double>(optimizer_state.numel()) : 0.0;
  c[kHasAnchor] = session.has_proximal_anchor() ? 1.0 : 0.0;
  c[kLossScale] = scaler.scale;
  c[kScalerGoodSteps] = static_cast<double>(scaler.good_steps);
  c[kMicroBatches] = static_cast<double>(batches.size());
  c[kHasSegments] = batches.front().segments.defined() ? 1.0 : 0.0;
  for (const auto& b : batches) {
    FSLLM_CHECK(b.segments.defined() == batches.front().segments.defined(), ErrorCode::kInvalidArg,
                "Either every micro-batch of a data-parallel step has segments or none has");
    c.push_back(static_cast<double>(b.ids.size(0)));
    c.push_back(static_cast<double>(b.ids.size(1)));
  }
  replicas.post_command(c);
  traffic_ = {};
  if (sync) traffic_.synced_bytes = sync_state(session, replicas, c, optimizer_state);
  auto shared = share_batches(replicas, c, batches, session.model().device(), &traffic_.batch_bytes);
  seed_rank(c, 0);
  auto metrics = session.train_step(shared, options, abort, &replicas);
  const auto& params = session.optimizer().params();
  for (const auto& p : params) traffic_.reduced_bytes += p.numel() * 4;
  traffic_.reduced_bytes += static_cast<int64_t>(batches.size() + params.size()) * 8;  // loss sums, gradient flags
  synced_ = current(session, replicas);
  return metrics;
}

void ReplicaLeader::stop(Replicas& replicas) {
  std::vector<double> c(kHeader, 0.0);
  c[kKind] = kStop;
  replicas.post_command(c);
}

void serve_replicas(TrainSession& session, Replicas& replicas, const std::atomic<bool>& abort) {
  FSLLM_CHECK(replicas.rank() != 0, ErrorCode::kInvalidArg, "Rank 0 leads; only the other ranks serve");
  for (;;) {
    const auto c = replicas.next_command(abort);
    FSLLM_CHECK(c.size() >= kHeader, ErrorCode::kDistributed, "Rank 0 sent a malformed command");
    if (static_cast<int>(c[kKind]) == kStop) return;
    FSLLM_CHECK(static_cast<int>(c[kKind]) == kStep, ErrorCode::kDistributed, "Rank 0 sent an unknown command");
    const auto mine = trainable_values(session);
    FSLLM_CHECK(mine == static_cast<int64_t>(c[kTrainableValues]), ErrorCode::kInvalidArg,
                "Rank " + std::to_string(replicas.rank()) + " trains " + std::to_string(mine) + " values but rank 0 trains " +
                    std::to_string(static_cast<int64_t>(c[kTrainableValues])) +
                    "; every rank must load the same model and attach the same adapter");
    if (c[kSync] != 0.0) sync_state(session, replicas, c, torch::zeros({static_cast<int64_t>(c[kOptimizerValues])}, torch::kFloat32));
    int64_t bytes = 0;
    auto batches = share_batches(replicas, c, {}, session.model().device(), &bytes);
    seed_rank(c, replicas.rank());
    session.train_step(batches, options_of(c), abort, &replicas);
  }
}

}  // namespace fsllm::train
