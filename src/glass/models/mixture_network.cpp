#include "glass/models/mixture_network.h"

#include "glass/util/particle_scalars.h"

namespace glass {

MixtureNetwork::MixtureNetwork(GaussianMixture mixture, SchedulePtr schedule)
    : mixture_(std::move(mixture)), schedule_(std::move(schedule)) {}

torch::Tensor MixtureNetwork::forward(const torch::Tensor& x, const torch::Tensor& timestep) {
  const std::vector<double> t = particle_values(timestep, x.size(0), "timestep");
  std::vector<double> a(t.size()), s(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    a[i] = schedule_->alpha(t[i]);
    s[i] = schedule_->sigma(t[i]);
  }
  return mixture_.denoise(x, times_tensor(a), times_tensor(s));
}

std::string MixtureNetwork::describe() const {
  return "exact Gaussian mixture (" + std::to_string(mixture_.components()) + " components, dim " +
         std::to_string(mixture_.dim()) + ")";
}

}  // namespace glass
