// One training step of a group of MLP replicas (engine/group_step.py) as a single call.
//
// The Python step of an MLP runs ~25 small ATen operations per replica; on a tiny MLP each
// costs more in dispatch (Python binding, dispatcher, autograd bookkeeping) than in arithmetic.
// Here the matrix products still go to ATen (its BLAS), and everything between them is one
// fused loop: bias + activation, softmax + cross-entropy + its gradient + the step's loss and
// accuracy, the activation's derivative + the bias gradients.
//
// Reproducibility: each replica is computed on its own, with its own tensors, by exactly the
// calls it would get if it trained alone. No product ever spans two replicas and every buffer
// is a fresh allocation of the replica's own shape, so a replica's arithmetic (shapes, memory
// alignment, reduction order) cannot depend on how many replicas share the call or which ones
// (tests/engine/test_reproducible.py checks it on the seed's 784-128-10 shape). The fused
// loops run on one thread in a fixed order.
//
// Against the Python (autograd) step the arithmetic is the same up to float32 round-off (sums
// in another order, the C library's exp/log), so a trial's environment records which step ran.

#include <ATen/ATen.h>
#include <torch/library.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

enum class Activation { Relu, Tanh, Sigmoid, Linear };

Activation parse_activation(const std::string& name) {
  if (name == "relu") return Activation::Relu;
  if (name == "tanh") return Activation::Tanh;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "linear") return Activation::Linear;
  TORCH_CHECK(false, "mlp_train_step: no native activation '", name, "'");
}

// Forward: h ← act(h) in place (the bias is already in: addmm).
void activate(at::Tensor& h, Activation act) {
  float* p = h.data_ptr<float>();
  const int64_t n = h.numel();
  switch (act) {
    case Activation::Relu:
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] < 0.0f ? 0.0f : p[i];  // NaN stays NaN
      break;
    case Activation::Tanh:
      for (int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]);
      break;
    case Activation::Sigmoid:
      for (int64_t i = 0; i < n; ++i) p[i] = 1.0f / (1.0f + std::exp(-p[i]));
      break;
    case Activation::Linear:
      break;
  }
}

// Backward through the activation, from its output `out` [B, K]: returns delta = upstream ·
// act'(out) [B, K]; bias_grad[k] = Σ_b delta[b, k], summed in batch order.
at::Tensor activation_backward(const at::Tensor& upstream, const at::Tensor& out,
                               float* bias_grad, Activation act) {
  const int64_t B = out.size(0), K = out.size(1);
  at::Tensor delta = at::empty_like(out);
  const float* u = upstream.data_ptr<float>();
  const float* o = out.data_ptr<float>();
  float* d = delta.data_ptr<float>();
  for (int64_t k = 0; k < K; ++k) bias_grad[k] = 0.0f;
  for (int64_t b = 0; b < B; ++b, u += K, o += K, d += K) {
    switch (act) {
      case Activation::Relu:  // threshold_backward(u, o, 0)
        for (int64_t k = 0; k < K; ++k) d[k] = o[k] <= 0.0f ? 0.0f : u[k];
        break;
      case Activation::Tanh:
        for (int64_t k = 0; k < K; ++k) d[k] = u[k] * (1.0f - o[k] * o[k]);
        break;
      case Activation::Sigmoid:
        for (int64_t k = 0; k < K; ++k) d[k] = u[k] * ((1.0f - o[k]) * o[k]);
        break;
      case Activation::Linear:
        for (int64_t k = 0; k < K; ++k) d[k] = u[k];
        break;
    }
    for (int64_t k = 0; k < K; ++k) bias_grad[k] += d[k];
  }
  return delta;
}

// Softmax cross-entropy over one replica's logits [B, C]: its mean loss (returned), the
// gradient of that mean w.r.t. the logits ((softmax - one_hot) / B, returned in `delta`), the
// last layer's bias gradient, and the step added to the replica's running sums (models/task.py:
// [examples, summed loss, correct]).
float softmax_cross_entropy(const at::Tensor& logits, const int64_t* labels, at::Tensor& delta,
                            float* bias_grad, double* sums) {
  const int64_t B = logits.size(0), C = logits.size(1);
  const float inv_b = 1.0f / static_cast<float>(B);
  const float* z = logits.data_ptr<float>();
  float* d = delta.data_ptr<float>();
  for (int64_t c = 0; c < C; ++c) bias_grad[c] = 0.0f;
  double total = 0.0;
  int64_t hits = 0;
  for (int64_t b = 0; b < B; ++b, z += C, d += C) {
    const int64_t y = labels[b];
    TORCH_CHECK(y >= 0 && y < C, "mlp_train_step: label ", y, " is not a class in [0, ", C, ")");
    float top = z[0];
    int64_t best = 0;
    for (int64_t c = 1; c < C; ++c) {
      if (!(z[c] <= top)) {  // a NaN wins, as in torch.argmax
        if (std::isnan(top)) break;
        top = z[c];
        best = c;
      }
    }
    float sum = 0.0f;
    for (int64_t c = 0; c < C; ++c) {
      d[c] = std::exp(z[c] - top);
      sum += d[c];
    }
    const float log_sum = std::log(sum);
    total += static_cast<double>(log_sum - (z[y] - top));
    hits += best == y;
    const float scale = inv_b / sum;
    for (int64_t c = 0; c < C; ++c) d[c] *= scale;
    d[y] -= inv_b;
    for (int64_t c = 0; c < C; ++c) bias_grad[c] += d[c];
  }
  const float mean = static_cast<float>(total / static_cast<double>(B));
  sums[0] += static_cast<double>(B);
  sums[1] += static_cast<double>(mean) * static_cast<double>(B);
  sums[2] += static_cast<double>(hits);
  return mean;
}

// One replica's step. params = [w0, b0, w1, b1, …] (w [out, in], b [out]); grads the same
// shapes, written in place. xb [B, in] its batch, labels [B]. Returns its logits [B, C].
at::Tensor replica_step(const at::Tensor& xb, const at::Tensor& labels, at::TensorList params,
                        at::TensorList grads, Activation act, float* loss, double* sums) {
  const int64_t L = static_cast<int64_t>(params.size()) / 2;
  // Forward. outputs[l] is layer l's output [B, out] (activated in place for hidden layers,
  // which is what their backward needs).
  std::vector<at::Tensor> outputs;
  outputs.reserve(L);
  for (int64_t l = 0; l < L; ++l) {
    const at::Tensor& below = l == 0 ? xb : outputs[l - 1];
    if (l > 0) activate(outputs[l - 1], act);
    outputs.push_back(at::addmm(params[2 * l + 1], below, params[2 * l].t()));  // nn.Linear's
  }
  const at::Tensor& logits = outputs[L - 1];
  at::Tensor delta = at::empty_like(logits);
  *loss = softmax_cross_entropy(logits, labels.data_ptr<int64_t>(), delta,
                                grads[2 * L - 1].data_ptr<float>(), sums);
  // Backward, layer by layer, as autograd's linear backward: dW = δᵀ·input, dx = δ·W.
  for (int64_t l = L - 1; l >= 0; --l) {
    const at::Tensor& below = l == 0 ? xb : outputs[l - 1];
    at::Tensor weight_grad = grads[2 * l];
    at::mm_out(weight_grad, delta.t(), below);
    if (l == 0) break;
    const at::Tensor upstream = at::mm(delta, params[2 * l]);
    delta = activation_backward(upstream, below, grads[2 * l - 1].data_ptr<float>(), act);
  }
  return logits;
}

// x_all [N, in] float32, y_all [N] int64, idx [B] (one batch for every replica) or [R, B];
// params and grads: R replicas × [w0, b0, w1, b1, …], each tensor the replica's own;
// sums [R, 3] float64 (examples, summed loss, correct) are accumulated.
// Returns each replica's mean loss [R] and its logits [B, C].
std::tuple<at::Tensor, std::vector<at::Tensor>> mlp_train_step(
    const at::Tensor& x_all, const at::Tensor& y_all, const at::Tensor& idx,
    at::TensorList params, at::TensorList grads, c10::string_view activation, at::Tensor sums) {
  at::NoGradGuard no_grad;
  const Activation act = parse_activation(std::string(activation));
  const int64_t R = sums.size(0);
  TORCH_CHECK(R >= 1 && params.size() == grads.size() && params.size() % (2 * R) == 0,
              "mlp_train_step: params, grads and replicas disagree");
  TORCH_CHECK(x_all.scalar_type() == at::kFloat && x_all.is_contiguous() && x_all.dim() == 2,
              "mlp_train_step: x must be contiguous float32 [N, features]");
  TORCH_CHECK(y_all.scalar_type() == at::kLong && sums.scalar_type() == at::kDouble &&
                  sums.is_contiguous() && sums.dim() == 2 && sums.size(1) == 3,
              "mlp_train_step: labels must be int64 and sums a contiguous float64 [R, 3]");
  const bool shared = idx.dim() == 1;
  TORCH_CHECK(shared || idx.size(0) == R, "mlp_train_step: one row of indices per replica");
  const int64_t per_replica = static_cast<int64_t>(params.size()) / R;
  for (int64_t i = 0; i < static_cast<int64_t>(params.size()); ++i) {
    TORCH_CHECK(params[i].scalar_type() == at::kFloat && params[i].is_contiguous() &&
                    grads[i].sizes() == params[i].sizes() && grads[i].is_contiguous() &&
                    grads[i].scalar_type() == at::kFloat,
                "mlp_train_step: parameters and gradients must be contiguous float32 alike");
  }

  // A shared batch is gathered once: the same rows give the same fresh tensor a replica
  // gathers alone.
  at::Tensor shared_x, shared_y;
  if (shared) {
    shared_x = x_all.index_select(0, idx);
    shared_y = y_all.index_select(0, idx);
  }
  at::Tensor losses = at::empty({R}, x_all.options());
  float* loss_out = losses.data_ptr<float>();
  double* totals = sums.data_ptr<double>();
  std::vector<at::Tensor> logits;
  logits.reserve(R);
  for (int64_t r = 0; r < R; ++r) {
    const at::Tensor xb = shared ? shared_x : x_all.index_select(0, idx[r]);
    const at::Tensor yb = shared ? shared_y : y_all.index_select(0, idx[r]);
    logits.push_back(replica_step(xb, yb, params.slice(r * per_replica, per_replica),
                                  grads.slice(r * per_replica, per_replica), act, loss_out + r,
                                  totals + 3 * r));
  }
  return {losses, logits};
}

}  // namespace

TORCH_LIBRARY(optbench, m) {
  m.def(
      "mlp_train_step(Tensor x, Tensor y, Tensor idx, Tensor[] params, Tensor(a!)[] grads, "
      "str activation, Tensor(b!) sums) -> (Tensor, Tensor[])");
  m.impl("mlp_train_step", c10::DispatchKey::CPU, &mlp_train_step);
}
