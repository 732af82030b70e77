#include "glass/data/toy_datasets.h"

#include <cmath>
#include <stdexcept>

#include "glass/util/parse.h"

namespace glass {

torch::Tensor sample_toy(const std::string& name, int64_t n, at::Generator& gen) {
  const auto u = [&](int64_t m) { return at::rand({m}, gen, torch::kFloat32); };
  if (name == "checkerboard") {
    // 4 x 4 board on [-4, 4]^2, the squares with even (column + row) filled.
    const torch::Tensor col = (u(n) * 4).floor(), row_half = (u(n) * 2).floor();
    const torch::Tensor row = row_half * 2 + torch::remainder(col, 2);
    const torch::Tensor x = (col + u(n)) * 2 - 4, y = (row + u(n)) * 2 - 4;
    return torch::stack({x, y}, 1);
  }
  if (name == "moons") {
    const torch::Tensor which = (u(n) < 0.5).to(torch::kFloat32);
    const torch::Tensor a = u(n) * M_PI;
    const torch::Tensor x = torch::where(which.to(torch::kBool), 1 - a.cos(), a.cos());
    const torch::Tensor y = torch::where(which.to(torch::kBool), 0.5 - a.sin(), a.sin());
    const torch::Tensor pts = torch::stack({x - 0.5, y - 0.25}, 1) * 2.0;
    return pts + 0.1 * at::randn({n, 2}, gen, torch::kFloat32);
  }
  if (name == "rings") {
    const torch::Tensor radius = ((u(n) * 3).floor() + 1);  // radii 1, 2, 3
    const torch::Tensor a = u(n) * 2 * M_PI;
    const torch::Tensor pts = torch::stack({radius * a.cos(), radius * a.sin()}, 1);
    return pts + 0.08 * at::randn({n, 2}, gen, torch::kFloat32);
  }
  throw std::invalid_argument("unknown toy data set " + quote(name) + " (expected checkerboard, moons or rings)");
}

}  // namespace glass
