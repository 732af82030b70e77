#include "glass/transitions/glass_transition.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "glass/models/placement.h"
#include "glass/transitions/glass_coefficients.h"
#include "glass/transitions/precision_pooling.h"
#include "glass/util/check.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

void GlassOptions::validate() const {
  GLASS_CHECK(inner_steps >= 1, "glass: need at least 1 inner step (M >= 1), got ", inner_steps);
  GLASS_CHECK(sbar_init > 0.0 && std::isfinite(sbar_init),
              "glass: the inner start scale sbar_init must be positive, got ", sbar_init);
}

GlassTransition::GlassTransition(FlowModel& model, GlassOptions options) : model_(model), options_(std::move(options)) {
  options_.validate();
}

std::string GlassTransition::name() const {
  return "glass(rho=" + options_.rho.name() + ", M=" + std::to_string(options_.inner_steps) + ", " +
         inner_solver_name(options_.solver) + ")";
}

std::vector<double> GlassTransition::uniform_inner_grid(int M) {
  std::vector<double> s(static_cast<size_t>(M) + 1);
  for (int j = 0; j <= M; ++j) s[j] = static_cast<double>(j) / M;
  return s;
}

std::vector<double> GlassTransition::table_inner_grid(double t, const GlassCoefficients& c, int M) const {
  // Spec 6 (the paper's appendix B.4): under the CondOT inner schedule, t* equals a table time tt
  // at s = q sbar_init / (abar + q (sbar_init - sbar)) with q = sqrt(1/g(tt) - 1/g(t)) (negated
  // when abar < 0). Each uniform node's t* is moved to its nearest table step, and the node to the
  // s that reaches that step exactly; a step beyond the end of the inner flow is taken one lower.
  std::vector<double> s = uniform_inner_grid(M);
  const Schedule& sch = model_.schedule();
  if (c.abar == 0.0) return s;  // t* stays at t
  const double s0 = options_.sbar_init, inv_g_t = 1.0 / sch.g(t);
  const auto node_of = [&](double tt) {
    const double q2 = 1.0 / sch.g(tt) - inv_g_t;
    if (!(q2 >= 0.0) || !std::isfinite(q2)) return -1.0;
    const double q = c.abar > 0.0 ? std::sqrt(q2) : -std::sqrt(q2);
    const double den = c.abar + q * (s0 - c.sbar);
    return den != 0.0 ? q * s0 / den : -1.0;
  };
  const auto t_star_of = [&](double sj) {
    const double snr = sj * c.abar / ((1.0 - sj) * s0 + sj * c.sbar), snr_t2 = inv_g_t;
    return sch.inv_g(1.0 / (snr_t2 + snr * snr));
  };
  for (int j = 1; j < M; ++j) {
    const double ts = t_star_of(s[j]);
    double snapped = model_.effective_time(ts);
    double node = node_of(snapped);
    if (!(node >= s[j - 1] && node < 1.0)) {  // rounded past the inner flow's end: one step noisier
      snapped = model_.effective_time(std::max(0.0, 2.0 * ts - snapped));
      node = node_of(snapped);
    }
    if (node >= s[j - 1] && node < 1.0) s[j] = node;
    else s[j] = s[j - 1];  // no table step left before the end: a zero-length step
  }
  return s;
}

StepResult GlassTransition::step(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& t_next,
                                 at::Generator& gen) {
  return run(x, t, t_next, nullptr, gen);
}

StepResult GlassTransition::step_from_denoised(const torch::Tensor& x, const torch::Tensor& t,
                                               const torch::Tensor& t_next, const torch::Tensor& denoised,
                                               at::Generator& gen) {
  if (denoised.sizes() != x.sizes()) throw std::invalid_argument("glass: the start denoiser must be shaped like x");
  return run(x, t, t_next, &denoised, gen);
}

namespace {

// The solvers integrate y = xbar - gam x_t = abar_s z + sbar_s epsbar, whose velocity has no x_t
// term (d xbar/ds = w1 xbar + w2 Dbar + w3 x_t with w3 = -w1 gam): u = w1 y + w2 Dbar. One
// evaluation of one particle at inner time s < 1 (or sbar_s > 0): Dbar is one call of the model at
// t* on the pooled input in_x x_t + in_y y.
struct InnerNode {
  double t_star, in_x, in_y, w1, w2;
};

InnerNode inner_node(const Schedule& sch, double t, const GlassCoefficients& c, double s0, double s) {
  const double abar_s = s * c.abar, sbar_s = (1.0 - s) * s0 + s * c.sbar;  // CondOT inner schedule
  InnerNode node{};
  node.w1 = (c.sbar - s0) / sbar_s;
  node.w2 = c.abar * s0 / sbar_s;
  // The GLASS denoiser asks the model at the precision-pooled statistic of x_t and y.
  const PooledInput p = pool_measurements(sch, sch.alpha(t), sch.sigma(t), abar_s, sbar_s);
  node.t_star = p.t_star;
  node.in_x = p.cx;
  node.in_y = p.cy;
  return node;
}

// Per-particle float64 coefficients, laid out [row][particle]. When every particle shares them (the
// usual chain) a row reads back as a plain scalar; otherwise the table crosses to x's dtype and
// device once and a row reads back as an [N, 1, ..., 1] column.
class CoefficientTable {
 public:
  struct Coef {
    double scalar = 0.0;
    torch::Tensor column;  // defined when per particle
  };
  CoefficientTable(size_t rows, size_t particles) : particles_(particles), values_(rows * particles, 0.0) {}
  double& at(size_t row, size_t i) { return values_[row * particles_ + i]; }
  void upload(const torch::Tensor& x) {
    if (particles_ == 1) return;
    std::vector<int64_t> shape(static_cast<size_t>(x.dim()) + 1, 1);
    shape[0] = static_cast<int64_t>(values_.size() / particles_);
    shape[1] = static_cast<int64_t>(particles_);
    device_ = torch::from_blob(values_.data(), {static_cast<int64_t>(values_.size())}, torch::kFloat64)
                  // a copy, never an alias of `values_`: autograd keeps it
                  .to(x.device(), x.scalar_type(), /*non_blocking=*/false, /*copy=*/true)
                  .reshape(shape);
  }
  Coef operator()(size_t row) const {
    if (particles_ == 1) return {values_[row], {}};
    return {0.0, device_[static_cast<int64_t>(row)]};
  }

 private:
  size_t particles_;
  std::vector<double> values_;
  torch::Tensor device_;
};

torch::Tensor times(const CoefficientTable::Coef& a, const torch::Tensor& x) {
  return a.column.defined() ? x * a.column : x.mul(a.scalar);
}
// y + a x
torch::Tensor plus_times(const torch::Tensor& y, const CoefficientTable::Coef& a, const torch::Tensor& x) {
  return a.column.defined() ? torch::addcmul(y, a.column, x) : torch::add(y, x, a.scalar);
}

enum NodeRow { kInX, kInY, kW1, kW2, kNodeRows };

// Everything the inner solve needs, in float64 before any network call: for each call its node
// (t*, pooled-input and velocity weights), for each step the solver's weights, and gam.
struct InnerPlan {
  bool shared;                 // every particle has the same t and t': one column of plain scalars
  size_t step_base;            // the table's first step row, after the node rows
  CoefficientTable table;      // node rows [evaluation][NodeRow], then step rows [step][weight]
  std::vector<double> t_star;  // [evaluation][particle]
  std::vector<double> gam;     // [particle]

  CoefficientTable::Coef node(int e, NodeRow r) const { return table(static_cast<size_t>(e) * kNodeRows + r); }
  CoefficientTable::Coef weight(int j, int k) const {
    return table(step_base + static_cast<size_t>(j) * kInnerStepWeights + static_cast<size_t>(k));
  }
};

using InnerGrid = std::function<std::vector<double>(double t, const GlassCoefficients& c)>;

InnerPlan plan_inner(const Schedule& sch, const StepTimes& st, const GlassOptions& o, const InnerGrid& grid) {
  const int M = o.inner_steps, calls = calls_per_inner_step(o.solver), evaluations = M * calls;
  const bool shared = std::all_of(st.t.begin(), st.t.end(), [&](double v) { return v == st.t[0]; }) &&
                      std::all_of(st.t_next.begin(), st.t_next.end(), [&](double v) { return v == st.t_next[0]; });
  const size_t nc = shared ? 1 : st.t.size();
  const size_t step_base = static_cast<size_t>(evaluations) * kNodeRows;
  InnerPlan plan{shared, step_base, CoefficientTable(step_base + static_cast<size_t>(M) * kInnerStepWeights, nc),
                 std::vector<double>(static_cast<size_t>(evaluations) * nc), std::vector<double>(nc)};
  for (size_t i = 0; i < nc; ++i) {
    const GlassCoefficients c = glass_coefficients(sch, st.t[i], st.t_next[i], o.rho(sch, st.t[i], st.t_next[i]));
    plan.gam[i] = c.gam;
    const std::vector<double> s = grid(st.t[i], c);
    const auto set_node = [&](int e, double s_e) {
      const InnerNode node = inner_node(sch, st.t[i], c, o.sbar_init, s_e);
      plan.t_star[static_cast<size_t>(e) * nc + i] = node.t_star;
      const double rows[kNodeRows] = {node.in_x, node.in_y, node.w1, node.w2};
      for (size_t r = 0; r < kNodeRows; ++r) plan.table.at(static_cast<size_t>(e) * kNodeRows + r, i) = rows[r];
    };
    for (int j = 0; j < M; ++j) {
      // The velocity at the end of a step divides by the inner noise there: below kSingularEnd of
      // the start's (t' within ~1e-8 of 1) float32 states lose every digit, so no call goes there.
      constexpr double kSingularEnd = 1e-6;
      const bool end_singular = (1.0 - s[j + 1]) * o.sbar_init + s[j + 1] * c.sbar <= kSingularEnd * o.sbar_init;
      const InnerStepRule rule = inner_step_rule(o.solver, s, j, end_singular);
      set_node(j * calls, s[j]);
      if (rule.stage) set_node(j * calls + 1, *rule.stage);
      for (int k = 0; k < kInnerStepWeights; ++k)
        plan.table.at(step_base + static_cast<size_t>(j) * kInnerStepWeights + static_cast<size_t>(k), i) =
            rule.weights[static_cast<size_t>(k)];
    }
  }
  return plan;
}

}  // namespace

StepResult GlassTransition::run(const torch::Tensor& x_in, const torch::Tensor& t, const torch::Tensor& t_next,
                                const torch::Tensor* denoised, at::Generator& gen) {
  // The inner ODE integrates in float32 at least, whatever dtype the particles or the network have
  // (models/placement.h): bf16 would round each small inner step away.
  const torch::Tensor x = at_least_float32(x_in);
  const StepTimes st = check_step(x, t, t_next);
  const int M = options_.inner_steps, evaluations = M * calls_per_inner_step(options_.solver);
  const bool on_table = options_.table_inner_grid && model_.spec().time == TimeConvention::DdpmStep;
  InnerPlan plan = plan_inner(model_.schedule(), st, options_, [&](double t0, const GlassCoefficients& c) {
    return on_table ? table_inner_grid(t0, c, M) : uniform_inner_grid(M);
  });
  plan.table.upload(x);
  const torch::Tensor t_star_t =
      plan.shared
          ? torch::Tensor()
          : torch::from_blob(plan.t_star.data(), {evaluations, static_cast<int64_t>(st.t.size())}, torch::kFloat64);
  // Dbar at evaluation e; at s = 0 the pooled input is x_t itself at t* = t, so a given D_t(x_t)
  // replaces the first call.
  const auto denoise_at = [&](int e, const torch::Tensor& y) -> torch::Tensor {
    if (e == 0 && denoised) return *denoised;
    const torch::Tensor at = plan.shared ? full_times(1, plan.t_star[static_cast<size_t>(e)]) : t_star_t[e];
    return model_.denoise(plus_times(times(plan.node(e, kInX), x), plan.node(e, kInY), y), at);
  };
  const InnerSystem system{[&](int e, const torch::Tensor& y) {
                             return plus_times(times(plan.node(e, kW1), y), plan.node(e, kW2), denoise_at(e, y));
                           },
                           [&](const torch::Tensor& y, int j, int k, const torch::Tensor& u) {
                             return plus_times(y, plan.weight(j, k), u);
                           }};

  // y_0 = sbar_init epsbar (xbar_0 = gam x_t + sbar_init epsbar): the only randomness.
  const torch::Tensor y = integrate_inner(options_.solver, M, randn_like_on(x, gen).mul(options_.sbar_init), system);
  // xbar_1 = y_1 + gam x_t
  const CoefficientTable::Coef gam =
      plan.shared ? CoefficientTable::Coef{plan.gam[0], {}} : CoefficientTable::Coef{0.0, broadcastable(plan.gam, x)};
  return {plus_times(y, gam, x), denoised ? evaluations - 1 : evaluations, std::nullopt};
}

StepResult sample_posterior(FlowModel& model, const torch::Tensor& x, const torch::Tensor& t, int inner_steps,
                            at::Generator& gen, InnerSolver solver) {
  // At t' = 1 the kernel does not depend on rho (gam = 0, abar = 1, sbar = 0).
  GlassOptions options{RhoSchedule::constant(0.0), inner_steps, 1.0};
  options.solver = solver;
  GlassTransition kernel(model, options);
  return kernel.step(x, t, full_times(x.size(0), 1.0), gen);
}

}  // namespace glass
