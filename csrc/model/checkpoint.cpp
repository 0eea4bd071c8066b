// SPDX-License-Identifier: Apache-2.0
// See checkpoint.h. The backward node is wired by hand (a custom autograd Function only takes tensors): its
// next edges are x's, and the output's gradient edge points at it.
#include "model/checkpoint.h"

#include <ATen/autocast_mode.h>
#include <ATen/Context.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>

#include <mutex>
#include <optional>

namespace fsllm::model {

namespace {

// The generator state of the CPU and (when x lives elsewhere) x's device, and the autocast settings.
struct ReplayState {
  torch::Tensor cpu_rng;
  std::optional<at::Generator> device_gen;
  torch::Tensor device_rng;
  bool cpu_autocast = false;
  at::ScalarType cpu_autocast_dtype = at::kBFloat16;
  bool gpu_autocast = false;
  at::ScalarType gpu_autocast_dtype = at::kHalf;

  static torch::Tensor state_of(at::Generator gen) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    return gen.get_state();
  }
  static void restore(at::Generator gen, const torch::Tensor& state) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
  }

  static ReplayState capture(const torch::Device& device) {
    ReplayState s;
    s.cpu_rng = state_of(at::detail::getDefaultCPUGenerator());
    if (!device.is_cpu()) {
      s.device_gen = at::globalContext().defaultGenerator(device);
      s.device_rng = state_of(*s.device_gen);
    }
    s.cpu_autocast = at::autocast::is_cpu_enabled();
    s.cpu_autocast_dtype = at::autocast::get_autocast_cpu_dtype();
    s.gpu_autocast = at::autocast::is_enabled();
    s.gpu_autocast_dtype = at::autocast::get_autocast_gpu_dtype();
    return s;
  }

  // Puts this state in place; apply() of the returned state puts back what was there before.
  ReplayState apply() const {
    ReplayState before = capture(device_gen ? device_gen->device() : torch::Device(torch::kCPU));
    restore(at::detail::getDefaultCPUGenerator(), cpu_rng);
    if (device_gen) restore(*device_gen, device_rng);
    at::autocast::set_cpu_enabled(cpu_autocast);
    at::autocast::set_autocast_cpu_dtype(cpu_autocast_dtype);
    at::autocast::set_enabled(gpu_autocast);
    at::autocast::set_autocast_gpu_dtype(gpu_autocast_dtype);
    return before;
  }
};

class CheckpointBackward : public torch::autograd::Node {
 public:
  // `input` is the block's input, detached; `needs_input_grad` whether the original required a gradient.
  CheckpointBackward(std::function<torch::Tensor(const torch::Tensor&)> block, torch::Tensor input, bool needs_input_grad,
                     ReplayState state)
      : block_(std::move(block)), input_(std::move(input)), needs_input_grad_(needs_input_grad), state_(std::move(state)) {}

  std::string name() const override { return "fsllm::model::CheckpointBackward"; }

  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    auto x = input_.detach().requires_grad_(needs_input_grad_);
    const auto outer = state_.apply();
    torch::Tensor out;
    try {
      torch::AutoGradMode grad_on(true);
      out = block_(x);
      // Accumulates into the block's trainable leaves (LoRA factors) and into x.
      if (out.requires_grad()) torch::autograd::backward({out}, {grads[0]});
    } catch (...) {
      outer.apply();
      throw;
    }
    outer.apply();
    return {needs_input_grad_ ? x.grad() : torch::Tensor()};
  }

  void release_variables() override {
    input_ = torch::Tensor();
    block_ = nullptr;
  }


 private:
  std::function<torch::Tensor(const torch::Tensor&)> block_;
  torch::Tensor input_;
  bool needs_input_grad_;
  ReplayState state_;
};

}  // namespace

torch::Tensor checkpointed(std::function<torch::Tensor(const torch::Tensor&)> block, const torch::Tensor& x) {
  auto state = ReplayState::capture(x.device());
  torch::Tensor out;
  {
    torch::NoGradGuard no_grad;
    out = block(x.detach());
  }
  auto node = std::shared_ptr<CheckpointBackward>(
      new CheckpointBackward(std::move(block), x.detach(), x.requires_grad(), std::move(state)), torch::autograd::deleteNode);
  node->set_next_edges(torch::autograd::collect_next_edges(x));
  torch::autograd::create_gradient_edge(out, node);
  return out;
}

}  // namespace fsllm::model
