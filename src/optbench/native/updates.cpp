// Optimizer update kernels: one call steps every tensor of a parameter group, one pass over each
// tensor's elements (optim/native_update.py and the classes that call these: optim/adadelta.py,
// optim/nadam.py, optim/adamax.py, optim/lars.py, optim/keras/{adadelta,nadam,adamax,sgd}.py).
//
// Why: torch has fused kernels for Adam, AdamW, SGD and Adagrad only. The other rules run as
// 6-12 small ATen operations per tensor, each a dispatch and a pass over memory: on the seed
// MLP's four tensors a step cost 49-300 µs, and 20-82 µs here (AMD EPYC, one thread;
// benchmarks/results/optimizer_steps.md), as fast as torch's fused Adam (77 µs).
//
// Arithmetic: each element goes through exactly the operations its Python rule writes, in the
// same order, in the tensor's own type (float, or double for the tests): a scalar hyperparameter
// is converted to that type as ATen converts a Python float (`static_cast`), and constants that
// depend on the step (bias corrections, NAdam's momentum schedule) come in already computed in
// Python double, as the rule computes them. The library is built with -ffp-contract=off and no
// fast-math, so a*b + c is two roundings, as written. ATen itself sometimes fuses (its
// vectorised lerp and add-with-alpha use FMA on AVX2), so against the Python rule in float32 the
// results agree to round-off, not bit for bit; in double they agree to ~1e-15
// (tests/optim/test_optim_native.py).
//
// Everything here runs on one thread, in a fixed order: a tensor's result never depends on the
// tensors beside it in the call (tests/engine/test_reproducible.py).

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <torch/library.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

// ---- checks --------------------------------------------------------------------------------

// Every list holds one tensor per parameter (an optional list may be empty); each tensor is a
// contiguous CPU tensor of the parameters' dtype (float32 or float64) and shape, and no two of
// one parameter's tensors share memory (the loops below assume so: __restrict__).
at::ScalarType check_group(const char* op, at::TensorList params,
                           std::initializer_list<at::TensorList> lists) {
  const size_t n = params.size();
  const at::ScalarType dtype = n ? params[0].scalar_type() : at::kFloat;
  TORCH_CHECK(dtype == at::kFloat || dtype == at::kDouble, op,
              ": parameters must be float32 or float64");
  for (const at::TensorList& list : lists) {
    TORCH_CHECK(list.size() == n || list.empty(), op, ": one tensor per parameter");
  }
  std::vector<std::pair<const char*, const char*>> spans;
  for (size_t i = 0; i < n; ++i) {
    spans.clear();
    auto add = [&](const at::Tensor& t) {
      TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == dtype && t.is_contiguous() &&
                      t.sizes() == params[i].sizes(),
                  op, ": every tensor must be a contiguous CPU tensor like its parameter");
      const char* start = static_cast<const char*>(t.data_ptr());
      const char* end = start + t.numel() * t.element_size();
      for (const auto& [s, e] : spans) {
        TORCH_CHECK(t.numel() == 0 || end <= s || e <= start, op,
                    ": a parameter's tensors must not share memory");
      }
      spans.emplace_back(start, end);
    };
    add(params[i]);
    for (const at::TensorList& list : lists) {
      if (!list.empty()) add(list[i]);
    }
  }
  return dtype;
}

// torch.optim's step counters (0-d float tensors in the state, one per parameter): every one
// must read `step - 1` (the caller computed its constants for `step`); all then read `step`.
void advance(const char* op, at::TensorList steps, double step) {
  for (const at::Tensor& s : steps) {
    TORCH_CHECK(s.device().is_cpu() && s.numel() == 1 &&
                    (s.scalar_type() == at::kFloat || s.scalar_type() == at::kDouble),
                op, ": step counters must be one-element float CPU tensors");
    const double now = s.scalar_type() == at::kFloat ? *s.data_ptr<float>() : *s.data_ptr<double>();
    TORCH_CHECK(now == step - 1, op, ": step counters disagree (", now, " for ", step - 1, ")");
  }
  for (const at::Tensor& s : steps) {
    if (s.scalar_type() == at::kFloat) {
      *s.data_ptr<float>() = static_cast<float>(step);
    } else {
      *s.data_ptr<double>() = step;
    }
  }
}

template <typename T>
T* ptr(const at::Tensor& t) {
  return t.data_ptr<T>();
}

// The loop every rule below shares: `rule(w, g, a, b)` for each element of each parameter, in
// order, in the parameters' type (float, or double for the tests), with references to the
// element of the parameter, its gradient and its two state tensors. A rule reads its
// hyperparameters' type as `T` (see TYPE_OF) and converts them as ATen converts a Python float.
template <typename Rule>
void each_element(at::ScalarType dtype, at::TensorList params, at::TensorList grads,
                  at::TensorList a_list, at::TensorList b_list, Rule rule) {
  AT_DISPATCH_FLOATING_TYPES(dtype, "each_element", [&] {
    for (size_t k = 0; k < params.size(); ++k) {
      scalar_t* __restrict__ w = ptr<scalar_t>(params[k]);
      const scalar_t* __restrict__ g = ptr<scalar_t>(grads[k]);
      scalar_t* __restrict__ a = ptr<scalar_t>(a_list[k]);
      scalar_t* __restrict__ b = ptr<scalar_t>(b_list[k]);
      const int64_t n = params[k].numel();
      for (int64_t i = 0; i < n; ++i) rule(w[i], g[i], a[i], b[i]);
    }
  });
}

#define TYPE_OF(w) using T = std::decay_t<decltype(w)>

// ---- the elementwise pieces, as ATen computes them for one element ----------------------------

// Tensor.lerp_(end, weight) for a scalar weight (aten/src/ATen/native/Lerp.h).
template <typename T>
inline T lerp(T self, T end, T weight) {
  return std::abs(weight) < T(0.5) ? self + weight * (end - self)
                                   : end - (end - self) * (T(1) - weight);
}

// torch.maximum: NaN if either is NaN.
template <typename T>
inline T maximum(T a, T b) {
  return (a > b || std::isnan(a)) ? a : b;
}

// ---- Adadelta ---------------------------------------------------------------------------------

// torch.optim.Adadelta (_single_tensor_adadelta):
//   g ← g + wd·w;  v ← v·ρ + (1-ρ)·g·g;  δ = √(u + ε) / √(v + ε) · g;  u ← u·ρ + (1-ρ)·δ·δ;
//   w ← w + (-lr)·δ
bool adadelta_update(at::TensorList params, at::TensorList grads, at::TensorList square_avgs,
                     at::TensorList acc_deltas, at::TensorList steps, double step, double lr,
                     double rho_, double eps_, double weight_decay) {
  const auto dtype = check_group("adadelta_update", params, {grads, square_avgs, acc_deltas});
  advance("adadelta_update", steps, step);
  const bool l2 = weight_decay != 0;
  each_element(dtype, params, grads, square_avgs, acc_deltas, [&](auto& w, auto g, auto& v, auto& u) {
    TYPE_OF(w);
    const T neg_lr = static_cast<T>(-lr), rho = static_cast<T>(rho_),
            one_minus_rho = static_cast<T>(1 - rho_), eps = static_cast<T>(eps_),
            wd = static_cast<T>(weight_decay);
    const T grad = l2 ? g + wd * w : g;
    const T avg = v * rho + one_minus_rho * grad * grad;
    const T std = std::sqrt(avg + eps);
    const T delta = std::sqrt(u + eps) / std * grad;
    v = avg;
    u = u * rho + one_minus_rho * delta * delta;
    w = w + neg_lr * delta;
  });
  return true;
}

// Keras Adadelta (optim/keras/adadelta.py), after Keras' decay w ← w·(1 - wd·lr):
//   v ← v·ρ + (1-ρ)·g·g;  δ = -(√(u + ε) · g / √(v + ε));  u ← u·ρ + (1-ρ)·δ·δ;  w ← w + lr·δ
void keras_adadelta_update(at::TensorList params, at::TensorList grads, at::TensorList acc_grads,
                           at::TensorList acc_deltas, double lr_, double rho_, double eps_,
                           double decay_) {
  const auto dtype = check_group("keras_adadelta_update", params, {grads, acc_grads, acc_deltas});
  const bool decays = decay_ != 1;
  each_element(dtype, params, grads, acc_grads, acc_deltas, [&](auto& w, auto g, auto& v, auto& u) {
    TYPE_OF(w);
    const T lr = static_cast<T>(lr_), rho = static_cast<T>(rho_),
            one_minus_rho = static_cast<T>(1 - rho_), eps = static_cast<T>(eps_),
            decay = static_cast<T>(decay_);
    const T weight = decays ? w * decay : w;
    const T avg = v * rho + one_minus_rho * g * g;
    const T delta = -(std::sqrt(u + eps) * g / std::sqrt(avg + eps));
    v = avg;
    u = u * rho + one_minus_rho * delta * delta;
    w = weight + lr * delta;
  });
}

// ---- NAdam ------------------------------------------------------------------------------------

// torch.optim.NAdam (_single_tensor_nadam, neither capturable nor differentiable), with the
// step's constants from Python: b2 = 1-β₂ᵗ, c_g = -lr·(1-μ_t)/(1-Π_t),
// c_m = -lr·μ_{t+1}/(1-Π_t·μ_{t+1}), and either `decay` = 1 - lr·wd (decoupled_weight_decay)
// with `weight_decay` 0, or `decay` 1 with torch's L2 decay:
//   w ← w·decay;  g ← g + wd·w
//   m ← lerp(m, g, 1-β₁);  v ← v·β₂ + (1-β₂)·g·g;  d = √(v / b2) + ε
//   w ← w + c_g·g / d;  w ← w + c_m·m / d
// `mu_products`: torch's running products Π (0-d float tensors), each `mu_product_before`
// before the step and `mu_product` after (the caller computed it as torch's `Π *= μ_t` rounds).
bool nadam_update(at::TensorList params, at::TensorList grads, at::TensorList exp_avgs,
                  at::TensorList exp_avg_sqs, at::TensorList steps, at::TensorList mu_products,
                  double step, double mu_product_before, double mu_product, double beta1,
                  double beta2, double eps, double weight_decay, double decay,
                  double correction2, double grad_coef, double avg_coef) {
  const auto dtype = check_group("nadam_update", params, {grads, exp_avgs, exp_avg_sqs});
  for (const at::Tensor& p : mu_products) {  // checked before anything is written
    TORCH_CHECK(p.device().is_cpu() && p.numel() == 1 &&
                    (p.scalar_type() == at::kFloat || p.scalar_type() == at::kDouble),
                "nadam_update: mu_product must be one-element float CPU tensors");
    const double now = p.scalar_type() == at::kFloat ? *p.data_ptr<float>() : *p.data_ptr<double>();
    TORCH_CHECK(now == mu_product_before, "nadam_update: mu_products disagree");
  }
  advance("nadam_update", steps, step);
  for (const at::Tensor& p : mu_products) {
    if (p.scalar_type() == at::kFloat) {
      *p.data_ptr<float>() = static_cast<float>(mu_product);
    } else {
      *p.data_ptr<double>() = mu_product;
    }
  }
  const bool l2 = weight_decay != 0, decays = decay != 1;
  each_element(dtype, params, grads, exp_avgs, exp_avg_sqs, [&](auto& w, auto g, auto& m, auto& v) {
    TYPE_OF(w);
    const T one_minus_beta1 = static_cast<T>(1 - beta1), beta2_ = static_cast<T>(beta2),
            one_minus_beta2 = static_cast<T>(1 - beta2), eps_ = static_cast<T>(eps),
            wd = static_cast<T>(weight_decay), decay_ = static_cast<T>(decay),
            correction2_ = static_cast<T>(correction2), grad_coef_ = static_cast<T>(grad_coef),
            avg_coef_ = static_cast<T>(avg_coef);
    const T weight = decays ? w * decay_ : w;
    const T grad = l2 ? g + wd * weight : g;
    const T avg = lerp(m, grad, one_minus_beta1);
    const T avg_sq = v * beta2_ + one_minus_beta2 * grad * grad;
    const T denom = std::sqrt(avg_sq / correction2_) + eps_;
    const T stepped = weight + grad_coef_ * grad / denom;
    m = avg;
    v = avg_sq;
    w = stepped + avg_coef_ * avg / denom;
  });
  return true;
}

// Keras Nadam (optim/keras/nadam.py), after Keras' decay, with the step's constants from
// Python: a = μ_{t+1}/(1 - Π_t·μ_{t+1}), b = (1-μ_t)/(1-Π_t), b2 = 1-β₂ᵗ:
//   m ← lerp(m, g, 1-β₁);  v ← lerp(v, g·g, 1-β₂);  m̂ = m·a + b·g;  w ← w + (-lr)·m̂ / (√(v / b2) + ε)
void keras_nadam_update(at::TensorList params, at::TensorList grads, at::TensorList momentums,
                        at::TensorList velocities, double lr, double beta1, double beta2,
                        double eps, double decay, double avg_coef, double grad_coef,
                        double correction2) {
  const auto dtype = check_group("keras_nadam_update", params, {grads, momentums, velocities});
  const bool decays = decay != 1;
  each_element(dtype, params, grads, momentums, velocities, [&](auto& w, auto g, auto& m, auto& v) {
    TYPE_OF(w);
    const T neg_lr = static_cast<T>(-lr), one_minus_beta1 = static_cast<T>(1 - beta1),
            one_minus_beta2 = static_cast<T>(1 - beta2), eps_ = static_cast<T>(eps),
            decay_ = static_cast<T>(decay), avg_coef_ = static_cast<T>(avg_coef),
            grad_coef_ = static_cast<T>(grad_coef), correction2_ = static_cast<T>(correction2);
    const T weight = decays ? w * decay_ : w;
    const T avg = lerp(m, g, one_minus_beta1);
    const T avg_sq = lerp(v, g * g, one_minus_beta2);
    const T m_hat = avg * avg_coef_ + grad_coef_ * g;
    const T denom = std::sqrt(avg_sq / correction2_) + eps_;
    m = avg;
    v = avg_sq;
    w = weight + neg_lr * m_hat / denom;
  });
}

// ---- Adamax -----------------------------------------------------------------------------------

// torch.optim.Adamax (_single_tensor_adamax), c = lr/(1-β₁ᵗ) from Python:
//   g ← g + wd·w;  m ← lerp(m, g, 1-β₁);  u ← max(u·β₂, |g| + ε);  w ← w + (-c)·m / u
bool adamax_update(at::TensorList params, at::TensorList grads, at::TensorList exp_avgs,
                   at::TensorList exp_infs, at::TensorList steps, double step, double beta1,
                   double beta2, double eps, double weight_decay, double clr) {
  const auto dtype = check_group("adamax_update", params, {grads, exp_avgs, exp_infs});
  advance("adamax_update", steps, step);
  const bool l2 = weight_decay != 0;
  each_element(dtype, params, grads, exp_avgs, exp_infs, [&](auto& w, auto g, auto& m, auto& u) {
    TYPE_OF(w);
    const T one_minus_beta1 = static_cast<T>(1 - beta1), beta2_ = static_cast<T>(beta2),
            eps_ = static_cast<T>(eps), wd = static_cast<T>(weight_decay),
            neg_clr = static_cast<T>(-clr);
    const T grad = l2 ? g + wd * w : g;
    const T avg = lerp(m, grad, one_minus_beta1);
    const T inf = maximum(u * beta2_, std::abs(grad) + eps_);
    m = avg;
    u = inf;
    w = w + neg_clr * avg / inf;
  });
  return true;
}

// Keras Adamax (optim/keras/adamax.py), after Keras' decay; c = lr/(1-β₁ᵗ) from Python:
//   m ← lerp(m, g, 1-β₁);  u ← max(u·β₂, |g|);  w ← w + (-c)·m / (u + ε)
void keras_adamax_update(at::TensorList params, at::TensorList grads, at::TensorList momentums,
                         at::TensorList norms, double beta1, double beta2, double eps,
                         double decay, double clr) {
  const auto dtype = check_group("keras_adamax_update", params, {grads, momentums, norms});
  const bool decays = decay != 1;
  each_element(dtype, params, grads, momentums, norms, [&](auto& w, auto g, auto& m, auto& u) {
    TYPE_OF(w);
    const T one_minus_beta1 = static_cast<T>(1 - beta1), beta2_ = static_cast<T>(beta2),
            eps_ = static_cast<T>(eps), decay_ = static_cast<T>(decay),
            neg_clr = static_cast<T>(-clr);
    const T weight = decays ? w * decay_ : w;
    const T avg = lerp(m, g, one_minus_beta1);
    const T inf = maximum(u * beta2_, std::abs(g));
    m = avg;
    u = inf;
    w = weight + neg_clr * avg / (inf + eps_);
  });
}

// ---- Keras SGD --------------------------------------------------------------------------------

// Keras SGD (optim/keras/sgd.py), after Keras' decay; s = g·lr:
//   no momentum: w ← w - s;  momentum: m ← m·μ - s, w ← w + m;  nesterov: w ← (w + μ·m) - s
template <typename T>
void keras_sgd_impl(at::TensorList params, at::TensorList grads, at::TensorList momentums,
                    double lr_, double momentum_, bool nesterov, double decay_) {
  const T lr = static_cast<T>(lr_), mu = static_cast<T>(momentum_),
          decay = static_cast<T>(decay_);
  const bool decays = decay_ != 1, heavy_ball = !momentums.empty();
  for (size_t k = 0; k < params.size(); ++k) {
    T* __restrict__ w = ptr<T>(params[k]);
    const T* __restrict__ g = ptr<T>(grads[k]);
    const int64_t n = params[k].numel();
    if (!heavy_ball) {
      for (int64_t i = 0; i < n; ++i) {
        const T weight = decays ? w[i] * decay : w[i];
        w[i] = weight - g[i] * lr;
      }
      continue;
    }
    T* __restrict__ m = ptr<T>(momentums[k]);
    for (int64_t i = 0; i < n; ++i) {
      const T weight = decays ? w[i] * decay : w[i];
      const T step = g[i] * lr;
      const T velocity = m[i] * mu - step;
      m[i] = velocity;
      w[i] = nesterov ? weight + mu * velocity - step : weight + velocity;
    }
  }
}

void keras_sgd_update(at::TensorList params, at::TensorList grads, at::TensorList momentums,
                      double lr, double momentum, bool nesterov, double decay) {
  const auto dtype = check_group("keras_sgd_update", params, {grads, momentums});
  AT_DISPATCH_FLOATING_TYPES(dtype, "keras_sgd_update", [&] {
    keras_sgd_impl<scalar_t>(params, grads, momentums, lr, momentum, nesterov, decay);
  });
}

// ---- LARS -------------------------------------------------------------------------------------

// ‖a‖ (2-norm) of n elements, summed in double in a fixed order: lane j of LANES sums the
// squares of elements j, j + LANES, …, then the lanes are added in order. The same bits on every
// run, whatever the compiler vectorises (the lanes are the source's order). 32 lanes: enough
// independent sums to keep the vector units busy (~10 µs for the seed MLP's 100,352 weights).
template <typename T>
double norm(const T* __restrict__ a, int64_t n) {
  constexpr int LANES = 32;
  double lanes[LANES] = {};
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    for (int j = 0; j < LANES; ++j) {
      const double x = a[i + j];
      lanes[j] += x * x;
    }
  }
  for (int j = 0; i < n; ++i, ++j) {
    const double x = a[i];
    lanes[j] += x * x;
  }
  double total = 0;
  for (int j = 0; j < LANES; ++j) total += lanes[j];
  return std::sqrt(total);
}

// One tensor's LARS step once its scale is known: s = (g + wd·w)·scale (Decay) or g·scale,
// then m ← m·μ + s, w ← w - m (HeavyBall) or w ← w - s. One loop per case, so each vectorises.
template <typename T, bool Decay, bool HeavyBall>
void lars_tensor(T* __restrict__ w, const T* __restrict__ g, T* __restrict__ m, int64_t n, T wd,
                 T mu, T scale) {
  for (int64_t i = 0; i < n; ++i) {
    const T step = (Decay ? g[i] + wd * w[i] : g[i]) * scale;
    if (HeavyBall) {
      const T velocity = m[i] * mu + step;
      m[i] = velocity;
      w[i] = w[i] - velocity;
    } else {
      w[i] = w[i] - step;
    }
  }
}

// LARS (optim/lars.py). A tensor with more than one dimension gets the trust ratio
//   λ = (η·‖w‖) / ((‖g‖ + wd·‖w‖) + ε)   (1 where ‖w‖ or ‖g‖ is 0),   s = (g + wd·w)·(λ·lr)
// (the norms from `norm`, rounded to the tensor's type, then the ratio in that type, as the
// rule computes it on 0-d tensors); others s = g·lr. Then m ← m·μ + s, w ← w - m (no momentum
// buffers: w ← w - s).
template <typename T>
void lars_impl(at::TensorList params, at::TensorList grads, at::TensorList momentums, double lr_,
               double momentum_, double weight_decay_, double trust_, double eps_) {
  const T lr = static_cast<T>(lr_), mu = static_cast<T>(momentum_),
          wd = static_cast<T>(weight_decay_), trust = static_cast<T>(trust_),
          eps = static_cast<T>(eps_);
  const bool decays = weight_decay_ != 0, heavy_ball = !momentums.empty();
  for (size_t k = 0; k < params.size(); ++k) {
    T* w = ptr<T>(params[k]);
    const T* g = ptr<T>(grads[k]);
    T* m = heavy_ball ? ptr<T>(momentums[k]) : nullptr;
    const int64_t n = params[k].numel();
    const bool adapt = params[k].dim() > 1;
    T scale = lr;
    if (adapt) {
      const T w_norm = static_cast<T>(norm(w, n)), g_norm = static_cast<T>(norm(g, n));
      const T ratio = trust * w_norm / (g_norm + wd * w_norm + eps);
      scale = (w_norm > 0 && g_norm > 0 ? ratio : T(1)) * lr;
    }
    if (adapt && decays) {
      heavy_ball ? lars_tensor<T, true, true>(w, g, m, n, wd, mu, scale)
                 : lars_tensor<T, true, false>(w, g, m, n, wd, mu, scale);
    } else {
      heavy_ball ? lars_tensor<T, false, true>(w, g, m, n, wd, mu, scale)
                 : lars_tensor<T, false, false>(w, g, m, n, wd, mu, scale);
    }
  }
}

void lars_update(at::TensorList params, at::TensorList grads, at::TensorList momentums,
                 double lr, double momentum, double weight_decay, double trust_coefficient,
                 double eps) {
  const auto dtype = check_group("lars_update", params, {grads, momentums});
  AT_DISPATCH_FLOATING_TYPES(dtype, "lars_update", [&] {
    lars_impl<scalar_t>(params, grads, momentums, lr, momentum, weight_decay, trust_coefficient,
                        eps);
  });
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(optbench, m) {
  m.def(
      "adadelta_update(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] square_avgs, "
      "Tensor(c!)[] acc_deltas, Tensor(d!)[] steps, float step, float lr, float rho, float eps, "
      "float weight_decay) -> bool");
  m.def(
      "keras_adadelta_update(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] acc_grads, "
      "Tensor(c!)[] acc_deltas, float lr, float rho, float eps, float decay) -> ()");
  m.def(
      "nadam_update(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] exp_avgs, "
      "Tensor(c!)[] exp_avg_sqs, Tensor(d!)[] steps, Tensor(e!)[] mu_products, float step, "
      "float mu_product_before, float mu_product, float beta1, float beta2, float eps, "
      "float weight_decay, float decay, float correction2, float grad_coef, float avg_coef) "
      "-> bool");
  m.def(
      "keras_nadam_update(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] momentums, "
      "Tensor(c!)[] velocities, float lr, float beta1, float beta2, float eps, float decay, "
      "float avg_coef, float grad_coef, float correction2) -> ()");
  m.def(
      "adamax_update(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] exp_avgs, "
      "Tensor(c!)[] exp_infs, Tensor(d!)[] steps, float step, float beta1, float beta2, "
      "float eps, float weight_decay, float clr) -> bool");
  m.def(
      "keras_adamax_update(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] momentums, "
      "Tensor(c!)[] norms, float beta1, float beta2, float eps, float decay, float clr) -> ()");
  m.def(
      "keras_sgd_update(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] momentums, float lr, "
      "float momentum, bool nesterov, float decay) -> ()");
  m.def(
      "lars_update(Tensor(a!)[] params, Tensor[] grads, Tensor(b!)[] momentums, float lr, "
      "float momentum, float weight_decay, float trust_coefficient, float eps) -> ()");
  m.impl("adadelta_update", c10::DispatchKey::CPU, &adadelta_update);
  m.impl("keras_adadelta_update", c10::DispatchKey::CPU, &keras_adadelta_update);
  m.impl("nadam_update", c10::DispatchKey::CPU, &nadam_update);
  m.impl("keras_nadam_update", c10::DispatchKey::CPU, &keras_nadam_update);
  m.impl("adamax_update", c10::DispatchKey::CPU, &adamax_update);
  m.impl("keras_adamax_update", c10::DispatchKey::CPU, &keras_adamax_update);
  m.impl("keras_sgd_update", c10::DispatchKey::CPU, &keras_sgd_update);
  m.impl("lars_update", c10::DispatchKey::CPU, &lars_update);
}
