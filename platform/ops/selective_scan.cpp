#include "platform/ops/selective_scan.h"

#include <string>

#include "platform/ops/op_checks.h"

namespace spindle::ops {
namespace {

constexpr const char* kForward = "selective_scan_forward";
constexpr const char* kBackward = "selective_scan_backward";
constexpr const char* kForwardBegin = "selective_scan_forward_begin";
constexpr const char* kForwardFinish = "selective_scan_forward_finish";
constexpr const char* kBackwardBegin = "selective_scan_backward_begin";
constexpr const char* kBackwardFinish = "selective_scan_backward_finish";

struct Checked {
  kernels::ScanShape shape;
  Device device;
  DType activations;
  DType parameters;
};

// Checks an optional tensor and its optional gradient: given together or not at all.
void check_optional(const char* op, const char* name, const Tensor* tensor, const Shape& shape, Device device,
                    DType dtype) {
  if (!tensor) return;
  check_tensor(op, name, *tensor, shape, device);
  SPINDLE_CHECK(tensor->dtype() == dtype, std::string(op) + ": " + name, tensor->describe(),
                "dtype " + std::string(dtype_name(dtype)));
}

Shape saved_shape(const kernels::ScanShape& s) {
  return {s.batch, kernels::selective_scan_saved_segments(s.length), s.channels, s.state};
}

Checked check_inputs(const char* op, const ScanTensors& in) {
  SPINDLE_CHECK(in.u && in.delta && in.A && in.B && in.C, op, "missing u, delta, A, B or C", "all five given");
  SPINDLE_CHECK(in.u->dim() == 3, std::string(op) + ": u", in.u->describe(), "(batch, channels, length)");
  SPINDLE_CHECK(in.A->dim() == 2, std::string(op) + ": A", in.A->describe(), "(channels, state)");
  const kernels::ScanShape shape{in.u->size(0), in.u->size(1), in.u->size(2), in.A->size(1)};
  const Device device = in.u->device();
  const DType activations = in.u->dtype();
  if (device.is_cpu()) {
    check_dtype(op, "u", *in.u, {DType::f32, DType::f64});
  } else {
    check_dtype(op, "u", *in.u, {DType::f32, DType::bf16});
  }
  const DType parameters = device.is_cpu() ? activations : DType::f32;
  const Shape sequence{shape.batch, shape.channels, shape.length};
  const Shape per_state{shape.batch, shape.state, shape.length};
  check_optional(op, "u", in.u, sequence, device, activations);
  check_optional(op, "delta", in.delta, sequence, device, activations);
  check_optional(op, "B", in.B, per_state, device, activations);
  check_optional(op, "C", in.C, per_state, device, activations);
  check_optional(op, "z", in.z, sequence, device, activations);
  check_optional(op, "A", in.A, {shape.channels, shape.state}, device, parameters);
  check_optional(op, "D", in.D, {shape.channels}, device, parameters);
  check_optional(op, "delta_bias", in.delta_bias, {shape.channels}, device, parameters);
  check_optional(op, "h0", in.h0, {shape.batch, shape.channels, shape.state}, device, parameters);
  return {shape, device, activations, parameters};
}

// The forward's saved states (CUDA only): shape and dtype.
void check_saved(const char* op, const Tensor* saved, const Checked& c) {
  if (!saved) return;
  SPINDLE_CHECK(!c.device.is_cpu(), std::string(op) + ": saved_states", saved->describe(),
                "none on the CPU (only the CUDA scan saves states)");
  check_optional(op, "saved_states", saved, saved_shape(c.shape), c.device, DType::f32);
}

template <typename P>
const P* pointer(const Tensor* tensor) {
  return tensor ? static_cast<const P*>(tensor->raw_data()) : nullptr;
}
template <typename P>
P* mutable_pointer(Tensor* tensor) {
  return tensor ? static_cast<P*>(tensor->raw_data()) : nullptr;
}

// Raw pointers for the kernels: activations of type T, parameters and states of type P.
template <typename T, typename P>
kernels::ScanInputs<T, P> scan_inputs(const ScanTensors& in) {
  return {pointer<T>(in.u), pointer<T>(in.delta), pointer<P>(in.A),          pointer<T>(in.B), pointer<T>(in.C),
          pointer<P>(in.D), pointer<T>(in.z),     pointer<P>(in.delta_bias), pointer<P>(in.h0)};
}

template <typename T, typename P>
kernels::ScanGradients<T, P> scan_gradients(const ScanGradientTensors& g) {
  return {mutable_pointer<T>(g.du), mutable_pointer<T>(g.ddelta),      mutable_pointer<P>(g.dA),
          mutable_pointer<T>(g.dB), mutable_pointer<T>(g.dC),          mutable_pointer<P>(g.dD),
          mutable_pointer<T>(g.dz), mutable_pointer<P>(g.ddelta_bias), mutable_pointer<P>(g.dh0)};
}

#if SPINDLE_WITH_CUDA
// Calls run(T{}, stream) for the activations' type T (bfloat16 or float) on c's device and
// the op's stream.
template <typename Run>
void on_cuda(const char* op, const Checked& c, const Stream* stream, Run run) {
  DeviceGuard guard(c.device);
  const cudaStream_t cuda = op_stream(op, c.device, stream).cuda();
  c.activations == DType::bf16 ? run(bfloat16{}, cuda) : run(float{}, cuda);
}
#endif

// The forward with its output optional (null: the final state alone, which only the CPU
// reference of the exchanging forward asks for).
void run_forward(const char* op, const ScanTensors& in, Tensor* out, Tensor* h_final, Tensor* saved,
                 kernels::ScanOptions options, const Stream* stream) {
  const Checked c = check_inputs(op, in);
  check_saved(op, saved, c);
  check_optional(op, "out", out, in.u->shape(), c.device, c.activations);
  check_optional(op, "h_final", h_final, {c.shape.batch, c.shape.channels, c.shape.state}, c.device, c.parameters);
  if (c.device.is_cpu()) {
    if (c.activations == DType::f64) {
      kernels::selective_scan_forward_cpu(scan_inputs<double, double>(in), mutable_pointer<double>(out),
                                          mutable_pointer<double>(h_final), c.shape, options);
    } else {
      kernels::selective_scan_forward_cpu(scan_inputs<float, float>(in), mutable_pointer<float>(out),
                                          mutable_pointer<float>(h_final), c.shape, options);
    }
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda(op, c, stream, [&]<typename T>(T, cudaStream_t cuda) {
    kernels::selective_scan_forward_cuda<T>(scan_inputs<T, float>(in), mutable_pointer<T>(out),
                                            mutable_pointer<float>(h_final), mutable_pointer<float>(saved), c.shape,
                                            options, cuda);
  });
#else
  (void)stream;
#endif
}

// The shapes, devices and dtypes of dout, dh_final and the gradients `grad` names.
Checked check_backward(const char* op, const ScanTensors& in, const Tensor& dout, const Tensor* dh_final,
                       const ScanGradientTensors& grad) {
  const Checked c = check_inputs(op, in);
  const Shape sequence = in.u->shape();
  const Shape per_state{c.shape.batch, c.shape.state, c.shape.length};
  const Shape states{c.shape.batch, c.shape.channels, c.shape.state};
  check_optional(op, "dout", &dout, sequence, c.device, c.activations);
  check_optional(op, "dh_final", dh_final, states, c.device, c.parameters);
  check_optional(op, "du", grad.du, sequence, c.device, c.activations);
  check_optional(op, "ddelta", grad.ddelta, sequence, c.device, c.activations);
  check_optional(op, "dB", grad.dB, per_state, c.device, c.activations);
  check_optional(op, "dC", grad.dC, per_state, c.device, c.activations);
  check_optional(op, "dz", grad.dz, sequence, c.device, c.activations);
  check_optional(op, "dA", grad.dA, {c.shape.channels, c.shape.state}, c.device, c.parameters);
  check_optional(op, "dD", grad.dD, {c.shape.channels}, c.device, c.parameters);
  check_optional(op, "ddelta_bias", grad.ddelta_bias, {c.shape.channels}, c.device, c.parameters);
  check_optional(op, "dh0", grad.dh0, states, c.device, c.parameters);
  return c;
}

// Every gradient of a full backward: the five always, and each optional one iff its input.
void check_gradient_set(const char* op, const ScanTensors& in, const ScanGradientTensors& grad) {
  SPINDLE_CHECK(grad.du && grad.ddelta && grad.dA && grad.dB && grad.dC, op, "missing du, ddelta, dA, dB or dC",
                "all five given");
  SPINDLE_CHECK(!grad.dD == !in.D && !grad.dz == !in.z && !grad.ddelta_bias == !in.delta_bias, op,
                "gradient of D, z or delta_bias given without its input, or missing",
                "dD, dz and ddelta_bias given exactly when D, z and delta_bias are");
  SPINDLE_CHECK(!grad.dh0 || in.h0, op, "dh0 given without h0", "h0 when its gradient is asked for");
}

// The exchanging passes' h0, given or not as `wanted` (`role` says what it is to them), and
// at least one step.
void check_exchanging(const char* op, const ScanTensors& in, const Checked& c, bool wanted, const std::string& role) {
  SPINDLE_CHECK((in.h0 != nullptr) == wanted, op, in.h0 ? "an h0" : "no h0", role);
  SPINDLE_CHECK(c.shape.length >= 1, op, "a piece of " + std::to_string(c.shape.length) + " steps", "at least one");
}

// A finish's ScanExchange: from its begin on the same device.
void check_exchange(const char* op, const ScanExchange& exchange, const Checked& c) {
  SPINDLE_CHECK(c.device.is_cpu() || exchange.work, op, "an empty ScanExchange", "the one its begin call returned");
}

// The backward for the gradients `grad` names (checked by the caller for completeness).
void run_backward(const char* op, const ScanTensors& in, const Tensor& dout, const Tensor* dh_final,
                  const ScanGradientTensors& grad, const Tensor* saved, kernels::ScanOptions options,
                  const Stream* stream) {
  const Checked c = check_backward(op, in, dout, dh_final, grad);
  check_saved(op, saved, c);
  if (c.device.is_cpu()) {
    if (c.activations == DType::f64) {
      kernels::selective_scan_backward_cpu(scan_inputs<double, double>(in), dout.data<double>(), pointer<double>(dh_final),
                                           scan_gradients<double, double>(grad), c.shape, options);
    } else {
      kernels::selective_scan_backward_cpu(scan_inputs<float, float>(in), dout.data<float>(), pointer<float>(dh_final),
                                           scan_gradients<float, float>(grad), c.shape, options);
    }
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda(op, c, stream, [&]<typename T>(T, cudaStream_t cuda) {
    kernels::selective_scan_backward_cuda<T>(scan_inputs<T, float>(in), static_cast<const T*>(dout.raw_data()),
                                             pointer<float>(dh_final), pointer<float>(saved),
                                             scan_gradients<T, float>(grad), c.shape, options, cuda);
  });
#else
  (void)stream;
#endif
}

}  // namespace

Shape selective_scan_saved_shape(const ScanTensors& in) {
  return saved_shape(check_inputs("selective_scan_saved_shape", in).shape);
}

void selective_scan_forward(const ScanTensors& in, Tensor& out, Tensor* h_final, kernels::ScanOptions options,
                            const Stream* stream, Tensor* saved_states) {
  run_forward(kForward, in, &out, h_final, saved_states, options, stream);
}

void selective_scan_backward(const ScanTensors& in, const Tensor& dout, const Tensor* dh_final,
                             const ScanGradientTensors& grad, kernels::ScanOptions options, const Stream* stream,
                             const Tensor* saved_states) {
  check_gradient_set(kBackward, in, grad);
  run_backward(kBackward, in, dout, dh_final, grad, saved_states, options, stream);
}

ScanExchange selective_scan_forward_begin(const ScanTensors& in, Tensor& reached, Tensor& decay, const Tensor& out,
                                          kernels::ScanOptions options, const Stream* stream,
                                          const Tensor* saved_states) {
  const Checked c = check_inputs(kForwardBegin, in);
  check_saved(kForwardBegin, saved_states, c);
  check_exchanging(kForwardBegin, in, c, false, "no h0: the piece is scanned from zero");
  check_optional(kForwardBegin, "out", &out, in.u->shape(), c.device, c.activations);
  const Shape states{c.shape.batch, c.shape.channels, c.shape.state};
  check_optional(kForwardBegin, "reached", &reached, states, c.device, c.parameters);
  check_optional(kForwardBegin, "decay", &decay, states, c.device, c.parameters);
  if (c.device.is_cpu()) {
    run_forward(kForwardBegin, in, nullptr, &reached, nullptr, options, stream);
    if (c.activations == DType::f64) {
      kernels::selective_scan_decay_cpu(scan_inputs<double, double>(in), decay.data<double>(), c.shape, options);
    } else {
      kernels::selective_scan_decay_cpu(scan_inputs<float, float>(in), decay.data<float>(), c.shape, options);
    }
    return {};
  }
  ScanExchange exchange;
#if SPINDLE_WITH_CUDA
  on_cuda(kForwardBegin, c, stream, [&]<typename T>(T, cudaStream_t cuda) {
    exchange.work = kernels::selective_scan_forward_begin_cuda<T>(scan_inputs<T, float>(in), reached.data<float>(),
                                                                  decay.data<float>(), c.shape, options, cuda);
  });
#endif
  return exchange;
}

void selective_scan_forward_finish(ScanExchange& exchange, const ScanTensors& in, Tensor& out,
                                   kernels::ScanOptions options, const Stream* stream, Tensor* saved_states) {
  const Checked c = check_inputs(kForwardFinish, in);
  check_saved(kForwardFinish, saved_states, c);
  check_exchanging(kForwardFinish, in, c, true, "h0, the piece's true initial state");
  check_exchange(kForwardFinish, exchange, c);
  check_optional(kForwardFinish, "out", &out, in.u->shape(), c.device, c.activations);
  if (c.device.is_cpu()) {
    run_forward(kForwardFinish, in, &out, nullptr, nullptr, options, stream);
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda(kForwardFinish, c, stream, [&]<typename T>(T, cudaStream_t cuda) {
    kernels::selective_scan_forward_finish_cuda<T>(*exchange.work, scan_inputs<T, float>(in), out.data<T>(),
                                                   mutable_pointer<float>(saved_states), c.shape, options, cuda);
  });
#endif
}

ScanExchange selective_scan_backward_begin(const ScanTensors& in, const Tensor& dout, Tensor& dh0_alone,
                                           kernels::ScanOptions options, const Stream* stream,
                                           const Tensor* saved_states) {
  const Checked c = check_backward(kBackwardBegin, in, dout, nullptr, {});
  check_saved(kBackwardBegin, saved_states, c);
  check_exchanging(kBackwardBegin, in, c, true, "h0, the initial state the forward ran from");
  check_optional(kBackwardBegin, "dh0_alone", &dh0_alone, in.h0->shape(), c.device, c.parameters);
  if (c.device.is_cpu()) {
    ScanGradientTensors initial_state_only;
    initial_state_only.dh0 = &dh0_alone;
    run_backward(kBackwardBegin, in, dout, nullptr, initial_state_only, nullptr, options, stream);
    return {};
  }
  ScanExchange exchange;
#if SPINDLE_WITH_CUDA
  on_cuda(kBackwardBegin, c, stream, [&]<typename T>(T, cudaStream_t cuda) {
    exchange.work = kernels::selective_scan_backward_begin_cuda<T>(
        scan_inputs<T, float>(in), dout.data<T>(), dh0_alone.data<float>(), pointer<float>(saved_states), c.shape,
        options, cuda);
  });
#endif
  return exchange;
}

void selective_scan_backward_finish(ScanExchange& exchange, const ScanTensors& in, const Tensor& dout,
                                    const Tensor& dh_final, const ScanGradientTensors& grad,
                                    kernels::ScanOptions options, const Stream* stream) {
  check_gradient_set(kBackwardFinish, in, grad);
  const Checked c = check_backward(kBackwardFinish, in, dout, &dh_final, grad);
  check_exchanging(kBackwardFinish, in, c, true, "h0, the initial state the forward ran from");
  check_exchange(kBackwardFinish, exchange, c);
  if (c.device.is_cpu()) {
    run_backward(kBackwardFinish, in, dout, &dh_final, grad, nullptr, options, stream);
    return;
  }
#if SPINDLE_WITH_CUDA
  on_cuda(kBackwardFinish, c, stream, [&]<typename T>(T, cudaStream_t cuda) {
    kernels::selective_scan_backward_finish_cuda<T>(*exchange.work, scan_inputs<T, float>(in), dout.data<T>(),
                                                    dh_final.data<float>(), scan_gradients<T, float>(grad), c.shape,
                                                    options, cuda);
  });
#endif
}

}  // namespace spindle::ops
