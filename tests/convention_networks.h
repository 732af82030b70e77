#pragma once
// A network that serves an exact Gaussian mixture in any ecosystem convention, decoding its
// timestep back to library time itself and encoding the exact denoiser into its prediction type
// the way that ecosystem's networks are trained (written apart from FlowModel's decoding).
#include <torch/torch.h>

#include "glass/models/gaussian_mixture.h"
#include "glass/models/model_spec.h"
#include "glass/models/network.h"
#include "glass/schedules/ddpm_table.h"
#include "glass/util/particle_scalars.h"

namespace glass::test {

class ConventionMixtureNetwork : public Network {
 public:
  ConventionMixtureNetwork(GaussianMixture g, SchedulePtr s, ModelSpec spec)
      : g_(std::move(g)), s_(std::move(s)), spec_(spec) {}

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override {
    last_timestep = timestep.clone();
    const std::vector<double> ts = particle_values(timestep, x.size(0), "timestep");
    std::vector<double> a(ts.size()), sg(ts.size()), da(ts.size()), ds(ts.size());
    for (size_t i = 0; i < ts.size(); ++i) {
      double t = 0.0;
      switch (spec_.time) {
        case TimeConvention::FlowTime: t = ts[i] / spec_.time_scale; break;
        case TimeConvention::Sigma: t = 1.0 - ts[i] / spec_.time_scale; break;
        case TimeConvention::DdpmStep: t = dynamic_cast<const DdpmTableSchedule&>(*s_).time_of_step(ts[i]); break;
      }
      a[i] = s_->alpha(t);
      sg[i] = s_->sigma(t);
      da[i] = s_->d_alpha(t);
      ds[i] = s_->d_sigma(t);
    }
    const torch::Tensor xd = x.to(torch::kFloat64);
    const torch::Tensor z = g_.denoise(xd, times_tensor(a), times_tensor(sg));
    // E[eps | x] = (x - alpha z) / sigma, tending to 0 at sigma = 0 (t = 1), where x = z.
    std::vector<double> inv_sg(sg.size());
    for (size_t i = 0; i < sg.size(); ++i) inv_sg[i] = sg[i] > 0.0 ? 1.0 / sg[i] : 0.0;
    const torch::Tensor eps = (xd - broadcastable(a, xd) * z) * broadcastable(inv_sg, xd);
    torch::Tensor out;
    switch (spec_.prediction) {
      case Prediction::Denoiser: out = z; break;
      case Prediction::Noise: out = eps; break;
      case Prediction::VPrediction: out = broadcastable(a, xd) * eps - broadcastable(sg, xd) * z; break;
      case Prediction::Velocity: {
        // dx/dt = alpha' z + sigma' eps; a sigma-time network returns dx/dsigma = -dx/dt.
        out = broadcastable(da, xd) * z + broadcastable(ds, xd) * eps;
        if (spec_.time == TimeConvention::Sigma) out = -out;
        break;
      }
    }
    return out.to(x.scalar_type());
  }
  std::string describe() const override { return "mixture in the " + to_string(spec_.prediction) + " convention"; }
  torch::Tensor last_timestep;

 private:
  GaussianMixture g_;
  SchedulePtr s_;
  ModelSpec spec_;
};

}  // namespace glass::test
