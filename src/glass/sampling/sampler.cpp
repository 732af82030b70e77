#include "glass/sampling/sampler.h"

#include "glass/sampling/time_grid.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

SampleResult run_chain(TransitionKernel& kernel, torch::Tensor x, const std::vector<double>& grid, at::Generator& gen,
                       const StepCallback& on_step) {
  check_grid(grid);
  SampleResult result;
  const int K = static_cast<int>(grid.size()) - 1;
  for (int k = 0; k < K; ++k) {
    StepResult r = kernel.step(x, full_times(1, grid[k]), full_times(1, grid[k + 1]), gen);
    x = std::move(r.x);
    result.nfe += r.nfe;
    if (on_step) on_step(k + 1, K, x);
  }
  result.x = x;
  return result;
}

torch::Tensor prior_noise(int64_t n, at::IntArrayRef sample_shape, at::Generator& gen, torch::Device device) {
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  return randn(shape, gen, torch::TensorOptions(device).dtype(torch::kFloat32));
}

}  // namespace glass
