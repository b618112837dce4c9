// One training step of R stacked MLPs (engine/stacked.py) as a single call.
//
// Python's StackedMLP._manual_step runs ~25 small ATen operations per step; on a tiny MLP
// each costs more in dispatch (Python binding, dispatcher, TensorIterator set-up) than in
// arithmetic. Here the matrix products still go to ATen (its BLAS), and everything between
// them is one fused loop: bias + activation, softmax + cross-entropy + its gradient + the
// step's loss and accuracy, the activation's derivative + the bias gradients.
//
// The arithmetic is the Python path's, in another order for sums and with the C library's
// exp/log: results agree to float32 round-off, not bit for bit (tests/engine/test_native_step.py).
// Layouts follow the Python path: with a batch shared by all replicas (x: [B, in]) the first
// layer is one GEMM and its output is stored [B, R*out]; with a batch per replica
// (x: [R, B, in]) every layer is a batched GEMM stored [R, B, out].

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

// A [R, B, K] float view with unit stride along K.
struct View3 {
  float* data;
  int64_t sr, sb;
  float* row(int64_t r, int64_t b) const { return data + r * sr + b * sb; }
};

View3 view3(const at::Tensor& t) {
  TORCH_CHECK(t.dim() == 3 && t.stride(2) == 1, "mlp_train_step: expected a [R, B, K] view");
  return {t.data_ptr<float>(), t.stride(0), t.stride(1)};
}

// Forward: h ← act(h) in place over the whole buffer (the bias is already in: addmm/baddbmm).
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

// Backward through the activation, from its output `out`: delta = upstream · act'(out),
// written into `delta` (out's layout); bias_grad[r, k] = Σ_b delta[r, b, k].
void activation_backward(const View3& upstream, const View3& out, const View3& delta,
                         float* bias_grad, int64_t R, int64_t B, int64_t K, Activation act) {
  for (int64_t r = 0; r < R; ++r) {
    float* bg = bias_grad + r * K;
    for (int64_t k = 0; k < K; ++k) bg[k] = 0.0f;
    for (int64_t b = 0; b < B; ++b) {
      const float* u = upstream.row(r, b);
      const float* o = out.row(r, b);
      float* d = delta.row(r, b);
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
      for (int64_t k = 0; k < K; ++k) bg[k] += d[k];
    }
  }
}

// Softmax cross-entropy over logits [R, B, C]: each replica's mean loss, the gradient of that
// mean w.r.t. the logits ((softmax - one_hot) / B, into `delta`), the bias gradient of the
// last layer, and the step's summed loss and correct count added to the epoch's running totals.
void softmax_cross_entropy(const View3& logits, const int64_t* labels, int64_t label_stride_r,
                           const View3& delta, float* bias_grad, float* losses,
                           double* loss_sum, int64_t* correct, int64_t R, int64_t B, int64_t C) {
  const float inv_b = 1.0f / static_cast<float>(B);
  for (int64_t r = 0; r < R; ++r) {
    float* bg = bias_grad + r * C;
    for (int64_t c = 0; c < C; ++c) bg[c] = 0.0f;
    double total = 0.0;
    int64_t hits = 0;
    for (int64_t b = 0; b < B; ++b) {
      const float* z = logits.row(r, b);
      float* d = delta.row(r, b);
      const int64_t y = labels[r * label_stride_r + b];
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
      for (int64_t c = 0; c < C; ++c) bg[c] += d[c];
    }
    const float mean = static_cast<float>(total / static_cast<double>(B));
    losses[r] = mean;
    loss_sum[r] += static_cast<double>(mean) * static_cast<double>(B);
    correct[r] += hits;
  }
}

// x_all [N, in], y_all [N] (int64), idx [B] (one batch for all replicas) or [R, B];
// weights[l] [R, out, in], biases[l] [R, out], grads = weight grads then bias grads (same
// shapes, written in place); loss_sum [R] float64 and correct [R] int64 are accumulated.
// Returns each replica's mean loss [R] and the logits [R, B, C].
std::tuple<at::Tensor, at::Tensor> mlp_train_step(
    const at::Tensor& x_all, const at::Tensor& y_all, const at::Tensor& idx,
    at::TensorList weights, at::TensorList biases, at::TensorList grads,
    c10::string_view activation, at::Tensor loss_sum, at::Tensor correct) {
  at::NoGradGuard no_grad;
  const Activation act = parse_activation(std::string(activation));
  const int64_t L = static_cast<int64_t>(weights.size());
  TORCH_CHECK(L >= 1 && static_cast<int64_t>(biases.size()) == L &&
                  static_cast<int64_t>(grads.size()) == 2 * L,
              "mlp_train_step: weights, biases and grads disagree");
  TORCH_CHECK(x_all.scalar_type() == at::kFloat && x_all.is_contiguous(),
              "mlp_train_step: x must be contiguous float32");
  TORCH_CHECK(y_all.scalar_type() == at::kLong && loss_sum.scalar_type() == at::kDouble &&
                  correct.scalar_type() == at::kLong,
              "mlp_train_step: label, loss_sum or correct dtype");
  const int64_t R = weights[0].size(0);
  const bool shared = idx.dim() == 1;
  const int64_t B = shared ? idx.size(0) : idx.size(1);

  const at::Tensor flat_idx = idx.reshape({-1});
  at::Tensor xb = x_all.view({x_all.size(0), -1}).index_select(0, flat_idx);
  at::Tensor labels = y_all.index_select(0, flat_idx);  // [B] or [R*B]
  if (!shared) xb = xb.view({R, B, -1});

  // Forward. outputs[l] is layer l's output as an [R, B, out] view (activated in place for
  // hidden layers, which is what their backward needs).
  std::vector<at::Tensor> outputs;
  outputs.reserve(L);
  {
    const at::Tensor& w = weights[0];
    const int64_t out = w.size(1), fan_in = w.size(2);
    at::Tensor h;
    if (shared) {
      h = at::addmm(biases[0].reshape({R * out}), xb, w.reshape({R * out, fan_in}).t())
              .view({B, R, out})
              .transpose(0, 1);
    } else {
      h = at::baddbmm(biases[0].unsqueeze(1), xb, w.transpose(1, 2));
    }
    outputs.push_back(h);
  }
  for (int64_t l = 1; l < L; ++l) {
    activate(outputs[l - 1], act);
    outputs.push_back(at::baddbmm(biases[l].unsqueeze(1), outputs[l - 1], weights[l].transpose(1, 2)));
  }

  // Head.
  const at::Tensor& logits = outputs[L - 1];
  const int64_t C = logits.size(2);
  at::Tensor delta = at::empty_like(logits);  // same strides as the logits
  at::Tensor losses = at::empty({R}, x_all.options());
  softmax_cross_entropy(view3(logits), labels.data_ptr<int64_t>(), shared ? 0 : B, view3(delta),
                        grads[L + L - 1].data_ptr<float>(), losses.data_ptr<float>(),
                        loss_sum.data_ptr<double>(), correct.data_ptr<int64_t>(), R, B, C);

  // Backward through the later layers.
  for (int64_t l = L - 1; l >= 1; --l) {
    const at::Tensor& below = outputs[l - 1];  // activated input of layer l, [R, B, in]
    at::Tensor weight_grad = grads[l];
    at::bmm_out(weight_grad, delta.transpose(1, 2), below);
    const at::Tensor upstream = at::bmm(delta, weights[l]);  // [R, B, in], contiguous
    at::Tensor next = at::empty_like(below);                  // below's layout
    activation_backward(view3(upstream), view3(below), view3(next),
                        grads[L + l - 1].data_ptr<float>(), R, B, below.size(2), act);
    delta = next;
  }

  // First layer's weight gradient, in the layout it is stored in.
  at::Tensor w_grad = grads[0];
  const int64_t out = w_grad.size(1), fan_in = w_grad.size(2);
  if (shared) {
    at::Tensor flat_grad = w_grad.view({R * out, fan_in});
    at::mm_out(flat_grad, delta.transpose(0, 1).reshape({B, R * out}).t(), xb);
  } else {
    at::bmm_out(w_grad, delta.transpose(1, 2), xb);
  }
  return {losses, logits};
}

}  // namespace

TORCH_LIBRARY(optbench, m) {
  m.def(
      "mlp_train_step(Tensor x, Tensor y, Tensor idx, Tensor[] weights, Tensor[] biases, "
      "Tensor(a!)[] grads, str activation, Tensor(b!) loss_sum, Tensor(c!) correct) "
      "-> (Tensor, Tensor)");
  m.impl("mlp_train_step", c10::DispatchKey::CPU, &mlp_train_step);
}
