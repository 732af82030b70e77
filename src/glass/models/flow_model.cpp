#include "glass/models/flow_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "glass/schedules/ddpm_table.h"
#include "glass/util/parse.h"
#include "glass/util/particle_scalars.h"

namespace glass {

FlowModel::FlowModel(NetworkPtr network, SchedulePtr schedule, ModelSpec spec)
    : network_(std::move(network)), schedule_(std::move(schedule)), spec_(spec) {
  if (!network_) throw std::invalid_argument("FlowModel: no network");
  spec_.validate();
  if (!schedule_) throw std::invalid_argument("FlowModel: no schedule");
  if (!(spec_.time_scale > 0.0) || !std::isfinite(spec_.time_scale))
    throw std::invalid_argument("FlowModel: the time scale must be a positive number");
  if (spec_.time == TimeConvention::DDPMStep) {
    ddpm_table_ = dynamic_cast<const DDPMTableSchedule*>(schedule_.get());
    if (!ddpm_table_)
      throw std::invalid_argument("a model with integer DDPM steps needs a ddpm schedule, not '" +
                                  schedule_->name() + "'");
  }
}

std::string FlowModel::describe() const {
  return network_->describe() + " (predicts " + to_string(spec_.prediction) + ", time " +
         to_string(spec_.time) + ", schedule " + schedule_->name() + ")";
}

double FlowModel::effective_time(double t) const {
  if (!ddpm_table_) return t;
  // Discrete models only know their grid: snap to the nearest step (an approximation; see spec 6).
  const double k = std::clamp(std::round(ddpm_table_->step_of_time(t)), 0.0,
                              static_cast<double>(ddpm_table_->steps() - 1));
  return ddpm_table_->time_of_step(k);
}

std::vector<double> FlowModel::effective_times(const torch::Tensor& t, int64_t n) {
  std::vector<double> ts = particle_values(t, n, "time");
  for (double& v : ts) {
    if (!(v >= 0.0 && v <= 1.0)) throw std::invalid_argument("model time " + std::to_string(v) + " is outside [0, 1]");
    const double snapped = effective_time(v);
    if (ddpm_table_ && v >= ddpm_table_->time_of_step(ddpm_table_->steps() - 1) && v < 1.0)
      cost_.max_step_rounding = std::max(cost_.max_step_rounding,
                                         std::abs(ddpm_table_->step_of_time(v) - ddpm_table_->step_of_time(snapped)));
    v = snapped;
  }
  return ts;
}

torch::Tensor FlowModel::call_network(const torch::Tensor& x, const std::vector<double>& t_eff) {
  const int64_t n = x.size(0);
  std::vector<double> timestep(t_eff.size());
  for (size_t i = 0; i < t_eff.size(); ++i) {
    switch (spec_.time) {
      case TimeConvention::FlowTime: timestep[i] = spec_.time_scale * t_eff[i]; break;
      case TimeConvention::Sigma: timestep[i] = spec_.time_scale * (1.0 - t_eff[i]); break;
      case TimeConvention::DDPMStep: timestep[i] = std::round(ddpm_table_->step_of_time(t_eff[i])); break;
    }
  }
  const torch::ScalarType type = spec_.time == TimeConvention::DDPMStep ? torch::kInt64 : x.scalar_type();
  torch::Tensor out;
  try {
    // A chain moves every particle at one time: one fill instead of a copy and a conversion.
    const bool shared = std::all_of(timestep.begin(), timestep.end(), [&](double v) { return v == timestep.front(); });
    const torch::Tensor ts = shared ? torch::full({n}, timestep.front(), torch::TensorOptions(x.device()).dtype(type))
                                    : times_tensor(timestep).to(x.device(), type);
    if (max_batch_ > 0 && n > max_batch_) {
      std::vector<torch::Tensor> parts;
      for (int64_t begin = 0; begin < n; begin += max_batch_) {
        const int64_t len = std::min(max_batch_, n - begin);
        parts.push_back(network_->forward(x.narrow(0, begin, len), ts.narrow(0, begin, len)));
        if (!parts.back().defined() || parts.back().size(0) != len)
          throw std::runtime_error("the network returned " +
                                   (parts.back().defined() ? c10::str(parts.back().sizes()) : std::string("none")) +
                                   " for a chunk of " + std::to_string(len) + " rows");
      }
      out = torch::cat(parts);
    } else {
      out = network_->forward(x, ts);
    }
  } catch (const std::exception& e) {
    // Named after the network; a bad argument stays one (callers tell wrong input from failure).
    const std::string what = "network " + quote(network_->describe()) + " failed on input " + c10::str(x.sizes()) +
                             ": " + one_line(e.what());
    if (dynamic_cast<const std::invalid_argument*>(&e)) throw std::invalid_argument(what);
    throw std::runtime_error(what);
  }
  cost_.calls += 1;
  cost_.rows += n;
  if (!out.defined() || out.sizes() != x.sizes())
    throw std::runtime_error("the network returned shape " + (out.defined() ? c10::str(out.sizes()) : "none") +
                             " for input shape " + c10::str(x.sizes()));
  // One reduction: NaN or infinity anywhere makes the sum non-finite.
  if (!std::isfinite(out.sum().item<double>()))
    throw std::runtime_error("network " + quote(network_->describe()) + " returned NaN or infinite values");
  // A sigma-time flow returns dx/dsigma = eps - z; library time runs the other way (t = 1 - sigma).
  if (spec_.prediction == Prediction::Velocity && spec_.time == TimeConvention::Sigma) return -out;
  return out;
}

torch::Tensor FlowModel::to_denoiser(const torch::Tensor& x, const torch::Tensor& out,
                                     const std::vector<double>& te) const {
  if (spec_.prediction == Prediction::Denoiser) return out;
  const Schedule& s = *schedule_;
  std::vector<double> cx(te.size()), co(te.size());
  for (size_t i = 0; i < te.size(); ++i) {
    const double a = s.alpha(te[i]), sg = s.sigma(te[i]);
    if (spec_.prediction == Prediction::Velocity) {
      // D = (sigma u - sigma' x) / (alpha' sigma - sigma' alpha)
      const double da = s.d_alpha(te[i]), ds = s.d_sigma(te[i]);
      const double den = da * sg - ds * a;
      if (!(std::abs(den) > 0.0) || !std::isfinite(den))
        throw std::runtime_error("velocity -> denoiser is undefined at t = " + std::to_string(te[i]));
      cx[i] = -ds / den;
      co[i] = sg / den;
    } else if (spec_.prediction == Prediction::VPrediction) {
      // x = alpha z + sigma eps and v = alpha eps - sigma z give z = (alpha x - sigma v) / (alpha^2 + sigma^2)
      const double norm = a * a + sg * sg;
      cx[i] = a / norm;
      co[i] = -sg / norm;
    } else {
      // D = (x - sigma eps) / alpha
      if (!(a > 0.0))
        throw std::runtime_error("a noise-predicting model has no denoiser at alpha_t = 0 (t = " +
                                 std::to_string(te[i]) + "); start the time grid above it");
      cx[i] = 1.0 / a;
      co[i] = -sg / a;
    }
  }
  return scaled_sum(cx, x, co, out);
}

void FlowModel::set_max_batch(int64_t rows) {
  if (rows < 0) throw std::invalid_argument("the largest batch per network call must be positive (0: no limit)");
  max_batch_ = rows;
}

void FlowModel::set_guidance(std::shared_ptr<const DenoiserGuidance> guidance) {
  if (guidance) guidance->validate();
  guidance_ = std::move(guidance);
}

std::vector<double> FlowModel::guidance_coefficients(const std::vector<double>& te) const {
  if (!guidance_ || guidance_paused_ || !guidance_->scale.enabled()) return {};
  std::vector<double> c = guidance_->coefficients(*schedule_, te);
  for (double v : c)
    if (v != 0.0) return c;
  return {};
}

FlowModel::Guided FlowModel::guided_prediction(const torch::Tensor& x, const std::vector<double>& te,
                                               const std::vector<double>& coef) {
  const bool full = !guidance_->detached;
  torch::AutoGradMode grad_on(true);
  // Full: d r(D(x)) / dx through the network. Detached: d r(D) / dD, no backward through it.
  const torch::Tensor x_in = full ? x.detach().requires_grad_(true) : x.detach();
  const torch::Tensor out = call_network(x_in, te);
  torch::Tensor denoised = to_denoiser(x_in, out, te);
  const torch::Tensor wrt = full ? x_in : denoised.detach().requires_grad_(true);
  const torch::Tensor reward = (*guidance_->reward)(full ? denoised : wrt);
  // A particle with reward -inf has no useful direction; it is simply not pushed.
  torch::Tensor grad = torch::autograd::grad({reward.sum()}, {wrt})[0];
  if (full) cost_.gradient_calls += 1;
  grad = torch::nan_to_num(grad, 0.0, 0.0, 0.0);
  return {out.detach(), denoised.detach(), broadcastable(coef, x) * grad};
}

torch::Tensor FlowModel::denoise(const torch::Tensor& x, const torch::Tensor& t) {
  const std::vector<double> te = effective_times(t, x.size(0));
  const std::vector<double> coef = guidance_coefficients(te);
  if (!coef.empty()) {
    const Guided g = guided_prediction(x, te, coef);
    return g.denoised + g.shift;
  }
  return to_denoiser(x, call_network(x, te), te);
}

torch::Tensor FlowModel::velocity(const torch::Tensor& x, const torch::Tensor& t) {
  const std::vector<double> te = effective_times(t, x.size(0));
  const std::vector<double> coef = guidance_coefficients(te);
  torch::Tensor d;
  if (!coef.empty()) {
    const Guided g = guided_prediction(x, te, coef);
    if (spec_.prediction == Prediction::Velocity) {
      // u = (sigma'/sigma) x + (alpha' - alpha sigma'/sigma) D: the shift of D moves u by that factor.
      std::vector<double> cd(te.size(), 0.0);
      for (size_t i = 0; i < te.size(); ++i) {
        const double sg = schedule_->sigma(te[i]);
        if (coef[i] != 0.0) cd[i] = schedule_->d_alpha(te[i]) - schedule_->alpha(te[i]) * schedule_->d_sigma(te[i]) / sg;
      }
      return torch::addcmul(g.out, broadcastable(cd, x), g.shift);
    }
    d = g.denoised + g.shift;
  } else {
    torch::Tensor out = call_network(x, te);
    if (spec_.prediction == Prediction::Velocity) return out;
    d = to_denoiser(x, out, te);
  }
  // u = (sigma'/sigma) x + (alpha' - alpha sigma'/sigma) D, from D (one network call).
  const Schedule& s = *schedule_;
  std::vector<double> cx(te.size()), cd(te.size());
  for (size_t i = 0; i < te.size(); ++i) {
    const double sg = s.sigma(te[i]);
    if (!(sg > 0.0))
      throw std::runtime_error("the velocity of a non-velocity model is undefined at sigma_t = 0 (t = 1)");
    const double r = s.d_sigma(te[i]) / sg;
    cx[i] = r;
    cd[i] = s.d_alpha(te[i]) - s.alpha(te[i]) * r;
  }
  return scaled_sum(cx, x, cd, d);
}

}  // namespace glass
