#include "glass/models/network_flow_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "glass/models/parameterisation.h"
#include "glass/schedules/ddpm_table.h"
#include "glass/util/parse.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/row_chunks.h"

namespace glass {

NetworkFlowModel::NetworkFlowModel(NetworkPtr network, SchedulePtr schedule, ModelSpec spec)
    : network_(std::move(network)), schedule_(std::move(schedule)), spec_(spec) {
  if (!network_) throw std::invalid_argument("flow model: no network");
  spec_.validate();
  if (!schedule_) throw std::invalid_argument("flow model: no schedule");
  if (!(spec_.time_scale > 0.0) || !std::isfinite(spec_.time_scale))
    throw std::invalid_argument("flow model: the time scale must be a positive number");
  if (spec_.time == TimeConvention::DdpmStep) {
    ddpm_table_ = dynamic_cast<const DdpmTableSchedule*>(schedule_.get());
    if (!ddpm_table_)
      throw std::invalid_argument("flow model: integer DDPM steps need a ddpm schedule, not '" + schedule_->name() +
                                  "'");
  }
}

std::string NetworkFlowModel::describe() const {
  return network_->describe() + " (predicts " + to_string(spec_.prediction) + ", time " + to_string(spec_.time) +
         ", schedule " + schedule_->name() + ")";
}

double NetworkFlowModel::effective_time(double t) const {
  if (!ddpm_table_) return t;
  // Discrete models only know their grid: snap to the nearest step (an approximation; see spec 6).
  const double k =
      std::clamp(std::round(ddpm_table_->step_of_time(t)), 0.0, static_cast<double>(ddpm_table_->steps() - 1));
  return ddpm_table_->time_of_step(k);
}

std::vector<double> NetworkFlowModel::effective_times(const torch::Tensor& t, int64_t n) {
  std::vector<double> ts = particle_values(t, n, "time");
  for (double& v : ts) {
    if (!(v >= 0.0 && v <= 1.0))
      throw std::invalid_argument("flow model: time " + std::to_string(v) + " is outside [0, 1]");
    const double snapped = effective_time(v);
    if (ddpm_table_ && v >= ddpm_table_->time_of_step(ddpm_table_->steps() - 1) && v < 1.0)
      cost_.max_step_rounding = std::max(cost_.max_step_rounding,
                                         std::abs(ddpm_table_->step_of_time(v) - ddpm_table_->step_of_time(snapped)));
    v = snapped;
  }
  return ts;
}

void NetworkFlowModel::place(const Placement& placement) {
  network_->place(placement);
  placement_ = placement;
}

torch::Tensor NetworkFlowModel::call_network(const torch::Tensor& x_in, const std::vector<double>& t_eff) {
  const int64_t n = x_in.size(0);
  // The one crossing into the network's device and dtype; the prediction comes back in x's.
  const torch::ScalarType network_dtype = placement_.network_dtype_for(x_in.scalar_type());
  const torch::Tensor x = x_in.to(placement_.device, network_dtype);
  std::vector<double> timestep(t_eff.size());
  for (size_t i = 0; i < t_eff.size(); ++i) {
    switch (spec_.time) {
      case TimeConvention::FlowTime: timestep[i] = spec_.time_scale * t_eff[i]; break;
      case TimeConvention::Sigma: timestep[i] = spec_.time_scale * (1.0 - t_eff[i]); break;
      case TimeConvention::DdpmStep: timestep[i] = std::round(ddpm_table_->step_of_time(t_eff[i])); break;
    }
  }
  const torch::ScalarType type = spec_.time == TimeConvention::DdpmStep ? torch::kInt64 : network_dtype;
  torch::Tensor out;
  try {
    // A chain moves every particle at one time: one fill instead of a copy and a conversion.
    const bool shared = std::all_of(timestep.begin(), timestep.end(), [&](double v) { return v == timestep.front(); });
    const torch::Tensor ts = shared ? torch::full({n}, timestep.front(), torch::TensorOptions(x.device()).dtype(type))
                                    : times_tensor(timestep).to(x.device(), type);
    if (max_batch_ > 0 && n > 0 && (n > max_batch_ || fixed_chunks_)) {
      std::vector<torch::Tensor> parts;
      for (int64_t begin = 0; begin < n; begin += max_batch_) {
        const int64_t len = std::min(max_batch_, n - begin);
        torch::Tensor xc = x.narrow(0, begin, len), tc = ts.narrow(0, begin, len);
        if (fixed_chunks_ && len < max_batch_) {
          xc = pad_rows(xc, max_batch_);
          tc = pad_rows(tc, max_batch_);
        }
        torch::Tensor part = network_->forward(xc, tc);
        if (!part.defined() || part.size(0) != xc.size(0))
          throw std::runtime_error("network " + quote(network_->describe()) + " returned " +
                                   (part.defined() ? c10::str(part.sizes()) : std::string("none")) +
                                   " for a chunk of " + std::to_string(xc.size(0)) + " rows");
        parts.push_back(part.narrow(0, 0, len));
      }
      out = torch::cat(parts);
    } else {
      out = network_->forward(x, ts);
    }
    if (out.defined()) out = out.to(x_in.device(), x_in.scalar_type());
  } catch (const std::exception& e) {
    // Named after the network; a bad argument stays one (callers tell wrong input from failure).
    const std::string what = "network " + quote(network_->describe()) + " failed on input " + c10::str(x.sizes()) +
                             ": " + one_line(e.what());
    if (dynamic_cast<const std::invalid_argument*>(&e)) throw std::invalid_argument(what);
    throw std::runtime_error(what);
  }
  cost_.calls += 1;
  cost_.rows += n * network_->rows_per_particle();
  if (!out.defined() || out.sizes() != x.sizes())
    throw std::runtime_error("network " + quote(network_->describe()) + " returned shape " +
                             (out.defined() ? c10::str(out.sizes()) : "none") + " for input shape " +
                             c10::str(x.sizes()));
  // One reduction: NaN or infinity anywhere makes the sum non-finite.
  if (!std::isfinite(out.sum().item<double>()))
    throw std::runtime_error("network " + quote(network_->describe()) + " returned NaN or infinite values");
  // A sigma-time flow returns dx/dsigma = eps - z; library time runs the other way (t = 1 - sigma).
  if (spec_.prediction == Prediction::Velocity && spec_.time == TimeConvention::Sigma) return -out;
  return out;
}

void NetworkFlowModel::set_max_batch(int64_t rows) {
  if (rows < 0)
    throw std::invalid_argument("flow model: the largest batch per network call must be >= 0 (0: no limit)");
  max_batch_ = rows;
}

void NetworkFlowModel::set_fixed_chunks(int64_t rows) {
  if (rows < 0) throw std::invalid_argument("flow model: fixed chunks need rows >= 0 (0: off)");
  max_batch_ = rows;
  fixed_chunks_ = rows > 0;
}

torch::Tensor NetworkFlowModel::denoise(const torch::Tensor& x, const torch::Tensor& t) {
  const std::vector<double> te = effective_times(t, x.size(0));
  return denoiser_from_prediction(*schedule_, spec_.prediction, x, call_network(x, te), te);
}

torch::Tensor NetworkFlowModel::velocity(const torch::Tensor& x, const torch::Tensor& t) {
  const std::vector<double> te = effective_times(t, x.size(0));
  const torch::Tensor out = call_network(x, te);
  if (spec_.prediction == Prediction::Velocity) return out;
  // From D: one network call either way.
  return velocity_from_denoiser(*schedule_, x, denoiser_from_prediction(*schedule_, spec_.prediction, x, out, te), te);
}

}  // namespace glass
