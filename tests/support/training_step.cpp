#include "tests/support/training_step.h"

#include <algorithm>
#include <utility>

#include "platform/ops/adamw.h"
#include "platform/ops/clip_grad_norm.h"
#include "platform/ops/cross_entropy.h"
#include "tests/support/tensors.h"

namespace spindle::testing {

TrainingStep::TrainingStep(const CaduceusConfig& config, Device device, DType activations, int64_t batch,
                           int64_t length, bool recompute, Communicator* ring)
    : model_(config, device), activations_(activations), batch_(batch), length_(length) {
  RandomStream random{1, 0};
  model_.initialize(random);
  model_.set_recompute(recompute);
  model_.set_sequence_parallel(ring);
  for (Parameter* p : model_.parameters()) {
    m_.push_back(Tensor::zeros(p->value.shape(), DType::f32, device));
    v_.push_back(Tensor::zeros(p->value.shape(), DType::f32, device));
    gradients_.push_back(&p->grad);
  }
  // Bases 7..10; 15% of positions are targets, the rest ignored.
  const uint64_t rank = ring ? static_cast<uint64_t>(ring->rank()) : 0;
  const std::vector<double> u = to_doubles(random_tensor({batch, length}, DType::f64, 2 + rank, 0, 1));
  std::vector<int64_t> ids(u.size()), targets(u.size());
  for (size_t i = 0; i < u.size(); ++i) {
    ids[i] = 7 + static_cast<int64_t>(u[i] * 4) % 4;
    targets[i] = (i * 2654435761u + rank) % 100 < 15 ? ids[i] : -100;
    masked_ += targets[i] >= 0;
  }
  ids_ = Tensor::from_vector(ids, {batch, length}).to(device);
  targets_ = Tensor::from_vector(targets, {batch * length}).to(device);
  if (ring) {
    Tensor masked = Tensor::from_vector<int64_t>({masked_}, {1}).to(device);
    ring->all_reduce_sum(masked);
    masked_ = masked.to(Device::cpu()).to_vector<int64_t>()[0];
    std::vector<Parameter*> backward_order = model_.parameters();
    std::reverse(backward_order.begin(), backward_order.end());
    sums_.emplace(std::move(backward_order), *ring);
  }
}

void TrainingStep::run(const Stream& stream) {
  const Device device = model_.device();
  Tensor logits;
  model_.forward(ids_, activations_, logits, nullptr, true, &stream);
  const int64_t vocab = logits.size(2);
  Tensor flat_logits = logits.reshape({batch_ * length_, vocab});
  Tensor dlogits = Tensor::empty(flat_logits.shape(), activations_, device, &stream);
  Tensor loss = Tensor::empty({batch_ * length_}, DType::f32, device, &stream);
  Tensor valid = Tensor::empty({1}, DType::i64, device, &stream);
  ops::cross_entropy(flat_logits, targets_, loss, &dlogits, valid, {.dloss_scale = 1.0 / double(masked_)}, &stream);
  if (sums_) {
    model_.backward(dlogits.reshape(logits.shape()), &stream,
                    [&](std::span<Parameter* const> ready) { sums_->ready(ready); });
    sums_->finish();
  } else {
    model_.backward(dlogits.reshape(logits.shape()), &stream);
  }
  ops::clip_grad_norm(gradients_, 1.0, &stream);
  ++step_;
  std::vector<Parameter*> parameters = model_.parameters();
  std::vector<ops::AdamWParameter> list;
  for (size_t i = 0; i < parameters.size(); ++i) {
    list.push_back({&parameters[i]->value, &parameters[i]->grad, &m_[i], &v_[i], nullptr, parameters[i]->weight_decay});
  }
  ops::adamw_step(list, {.lr = 1e-4, .weight_decay = 0.1, .step = step_}, &stream);
  model_.zero_grad(&stream);
}

}  // namespace spindle::testing
