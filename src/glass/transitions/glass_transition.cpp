#include "glass/transitions/glass_transition.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "glass/models/placement.h"
#include "glass/transitions/glass_coefficients.h"
#include "glass/transitions/precision_pooling.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

void GlassOptions::validate() const {
  if (inner_steps < 1) throw std::invalid_argument("glass: need at least 1 inner step (M >= 1)");
  if (!(sbar_init > 0.0) || !std::isfinite(sbar_init))
    throw std::invalid_argument("glass: the inner start scale sbar_init must be positive");
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
constexpr size_t kStepRows = 5;

}  // namespace

StepResult GlassTransition::run(const torch::Tensor& x_in, const torch::Tensor& t, const torch::Tensor& t_next,
                                const torch::Tensor* denoised, at::Generator& gen) {
  // The inner ODE integrates in float32 at least, whatever dtype the particles or the network have
  // (models/placement.h): bf16 would round each small inner step away.
  const torch::Tensor x = at_least_float32(x_in);
  const StepTimes st = check_step(x, t, t_next);
  const Schedule& sch = model_.schedule();
  const size_t n = st.t.size();
  const int M = options_.inner_steps;
  const InnerSolver solver = options_.solver;
  const int calls = calls_per_inner_step(solver), evaluations = M * calls;
  const double s0 = options_.sbar_init;
  const bool on_table = options_.table_inner_grid && model_.spec().time == TimeConvention::DdpmStep;

  // All per-particle scalars of the whole inner solve are computed here in float64: for each
  // network call its node (t*, pooled-input and velocity weights), for each step the solver's
  // weights. When every particle shares t and t' they are plain scalars.
  const bool shared = std::all_of(st.t.begin(), st.t.end(), [&](double v) { return v == st.t[0]; }) &&
                      std::all_of(st.t_next.begin(), st.t_next.end(), [&](double v) { return v == st.t_next[0]; });
  const size_t nc = shared ? 1 : n;  // particles with their own coefficients
  const size_t step_base = static_cast<size_t>(evaluations) * kNodeRows;
  CoefficientTable table(step_base + static_cast<size_t>(M) * kStepRows, nc);
  const auto step_row = [&](int j, size_t k) { return step_base + static_cast<size_t>(j) * kStepRows + k; };
  std::vector<double> t_star(static_cast<size_t>(evaluations) * nc), gam(nc);
  for (size_t i = 0; i < nc; ++i) {
    const GlassCoefficients c =
        glass_coefficients(sch, st.t[i], st.t_next[i], options_.rho(sch, st.t[i], st.t_next[i]));
    gam[i] = c.gam;
    const std::vector<double> s = on_table ? table_inner_grid(st.t[i], c, M) : uniform_inner_grid(M);
    const auto set_node = [&](int e, double s_e) {
      const InnerNode node = inner_node(sch, st.t[i], c, s0, s_e);
      t_star[static_cast<size_t>(e) * nc + i] = node.t_star;
      const double rows[kNodeRows] = {node.in_x, node.in_y, node.w1, node.w2};
      for (size_t r = 0; r < kNodeRows; ++r) table.at(static_cast<size_t>(e) * kNodeRows + r, i) = rows[r];
    };
    for (int j = 0; j < M; ++j) {
      const double h = s[j + 1] - s[j];
      set_node(j * calls, s[j]);
      switch (solver) {
        case InnerSolver::Euler: {  // y += h u, folded: (1 + h w1) y + h w2 D
          const size_t e = static_cast<size_t>(j) * kNodeRows;
          table.at(step_row(j, 0), i) = 1.0 + h * table.at(e + kW1, i);
          table.at(step_row(j, 1), i) = h * table.at(e + kW2, i);
          break;
        }
        case InnerSolver::Ab2:
        case InnerSolver::Pc3: {
          // Predictor over [s_j, s_j+1] from u_j, u_j-1 (Euler at j = 0); PC3's corrector redoes
          // [s_j-1, s_j] from u_j-2, u_j-1 and u_j (the trapezoid at j = 1).
          const std::vector<double> nodes(s.begin() + std::max(0, j - 1), s.begin() + j + 1);
          const std::vector<double> p = interpolation_weights(nodes, s[j], s[j + 1]);
          table.at(step_row(j, 0), i) = p.back();
          if (p.size() > 1) table.at(step_row(j, 1), i) = p[0];
          if (solver == InnerSolver::Pc3 && j >= 1) {
            const std::vector<double> cn(s.begin() + std::max(0, j - 2), s.begin() + j + 1);
            const std::vector<double> q = interpolation_weights(cn, s[j - 1], s[j]);
            for (size_t k = 0; k < q.size(); ++k) table.at(step_row(j, 2 + k), i) = q[q.size() - 1 - k];
          }
          break;
        }
        case InnerSolver::Midpoint:
        case InnerSolver::Heun: {
          // Two-stage Runge-Kutta with its stage at s_j + a h: Heun a = 1 (the step's end, a table
          // step on table grids), midpoint a = 1/2; a step ending where the inner noise vanishes
          // (t' = 1) is a midpoint step, so the singular end point is never evaluated. Nearly
          // vanishing counts too: the velocity there divides by the end's noise, and below
          // kSingularEnd of the start's (t' within ~1e-8 of 1) float32 states lose every digit.
          constexpr double kSingularEnd = 1e-6;
          const bool end_singular = (1.0 - s[j + 1]) * s0 + s[j + 1] * c.sbar <= kSingularEnd * s0;
          const double a = solver == InnerSolver::Heun && !end_singular ? 1.0 : 0.5;
          set_node(j * 2 + 1, s[j] + a * h);
          table.at(step_row(j, 0), i) = a * h;
          table.at(step_row(j, 1), i) = h * (1.0 - 0.5 / a);
          table.at(step_row(j, 2), i) = h * 0.5 / a;
          break;
        }
      }
    }
  }
  table.upload(x);
  const torch::Tensor t_star_t =
      shared ? torch::Tensor()
             : torch::from_blob(t_star.data(), {evaluations, static_cast<int64_t>(n)}, torch::kFloat64);
  const auto node_row = [&](int e, NodeRow r) { return table(static_cast<size_t>(e) * kNodeRows + r); };
  const auto step = [&](int j, size_t k) { return table(step_row(j, k)); };
  // Dbar at evaluation e; at s = 0 the pooled input is x_t itself at t* = t, so a given D_t(x_t)
  // replaces the first call.
  const auto denoise_at = [&](int e, const torch::Tensor& y) -> torch::Tensor {
    if (e == 0 && denoised) return *denoised;
    const torch::Tensor at = shared ? full_times(1, t_star[static_cast<size_t>(e)]) : t_star_t[e];
    return model_.denoise(plus_times(times(node_row(e, kInX), x), node_row(e, kInY), y), at);
  };
  const auto velocity = [&](int e, const torch::Tensor& y) {
    return plus_times(times(node_row(e, kW1), y), node_row(e, kW2), denoise_at(e, y));
  };

  // y_0 = sbar_init epsbar (xbar_0 = gam x_t + sbar_init epsbar): the only randomness.
  torch::Tensor y = randn_like_on(x, gen).mul(s0);
  switch (solver) {
    case InnerSolver::Euler:
      for (int j = 0; j < M; ++j) y = plus_times(times(step(j, 0), y), step(j, 1), denoise_at(j, y));
      break;
    case InnerSolver::Ab2:
    case InnerSolver::Pc3: {
      torch::Tensor u1, u2, corrected;  // u_j-1, u_j-2, and the corrected y_j-1
      for (int j = 0; j < M; ++j) {
        const torch::Tensor u = velocity(j, y);
        if (solver == InnerSolver::Pc3 && j >= 1) {
          y = plus_times(plus_times(corrected, step(j, 2), u), step(j, 3), u1);
          if (j >= 2) y = plus_times(y, step(j, 4), u2);
        }
        corrected = y;
        y = plus_times(y, step(j, 0), u);
        if (j >= 1) y = plus_times(y, step(j, 1), u1);
        u2 = u1;
        u1 = u;
      }
      break;
    }
    case InnerSolver::Midpoint:
    case InnerSolver::Heun:
      for (int j = 0; j < M; ++j) {
        const torch::Tensor u = velocity(2 * j, y);
        const torch::Tensor u_stage = velocity(2 * j + 1, plus_times(y, step(j, 0), u));
        y = plus_times(plus_times(y, step(j, 1), u), step(j, 2), u_stage);
      }
      break;
  }
  // xbar_1 = y_1 + gam x_t
  const CoefficientTable::Coef gam_coef =
      shared ? CoefficientTable::Coef{gam[0], {}} : CoefficientTable::Coef{0.0, broadcastable(gam, x)};
  return {plus_times(y, gam_coef, x), denoised ? evaluations - 1 : evaluations, std::nullopt};
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
