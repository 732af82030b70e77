// d psi / d(s' - s) by forward-mode AD (the tangent-forward self-distillation) against a central
// difference in float64, for both students, and its gradient in the weights against the gradient of
// the central difference: the derivative and what trains on it are both right.
#include <gtest/gtest.h>

#include "glass/diamond/diamond_network.h"
#include "glass/schedules/schedule.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

struct Case {
  DiamondNetConfig config;
  std::vector<int64_t> batch_shape;
};

Case mlp_case() {
  Case c;
  c.config.width = 16;
  c.config.depth = 2;
  c.batch_shape = {5, 2};
  return c;
}

Case unet_case() {
  Case c;
  c.config.arch = "unet";
  c.config.sample_shape = {1, 8, 8};
  c.config.width = 8;
  c.batch_shape = {5, 1, 8, 8};
  return c;
}

// A float64 student with every weight random (the U-Net's extra embedding starts at zero, which
// would make psi independent of s' - s).
DiamondNet random_student(const DiamondNetConfig& config) {
  torch::manual_seed(11);
  DiamondNet net = make_diamond_net(config, make_schedule("condot"));
  net.module->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  for (auto& p : net.module->parameters()) p.copy_(torch::randn_like(p) * 0.3);
  return net;
}

void expect_tangent_matches_central_difference(const Case& c) {
  DiamondNet net = random_student(c.config);
  at::Generator gen = make_generator(4);
  const torch::Tensor xbar = at::randn(c.batch_shape, gen, torch::kFloat64);
  const torch::Tensor x_t = at::randn(c.batch_shape, gen, torch::kFloat64);
  const std::vector<double> t{0.1, 0.3, 0.5, 0.7, 0.9}, s{0.0, 0.2, 0.0, 0.6, 0.4}, ds{0.9, 0.5, 0.3, 0.2, 0.05};
  // h: the difference's error h^2 psi''' / 6 (time features up to sin(100 ds)) against rounding 1e-16 / h.
  const double h = 1e-6;
  std::vector<double> up(ds), down(ds);
  for (size_t i = 0; i < ds.size(); ++i) {
    up[i] += h;
    down[i] -= h;
  }
  const auto [psi, dpsi] = net.forward_with_ds_tangent(xbar, x_t, t, s, ds);
  const torch::Tensor plain = net.forward(xbar, x_t, t, s, ds);
  const torch::Tensor difference = (net.forward(xbar, x_t, t, s, up) - net.forward(xbar, x_t, t, s, down)) / (2 * h);
  EXPECT_TRUE(torch::allclose(psi, plain, 1e-12, 1e-12)) << "the primal is psi itself";
  ASSERT_GT(difference.abs().max().item<double>(), 1e-3) << "psi must depend on s' - s for the test to bite";
  EXPECT_TRUE(torch::allclose(dpsi, difference, 1e-5, 1e-6)) << (dpsi - difference).abs().max().item<double>();

  // Reverse over forward: the weights' gradient of a loss on the tangent is that of the difference.
  const torch::Tensor w = at::randn(c.batch_shape, gen, torch::kFloat64);
  auto gradients = [&](const torch::Tensor& loss) {
    net.module->zero_grad();
    loss.backward();
    std::vector<torch::Tensor> g;
    for (auto& p : net.module->parameters())  // a weight the tangent does not reach has no gradient
      g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return g;
  };
  const auto forward_mode = gradients((net.forward_with_ds_tangent(xbar, x_t, t, s, ds).second * w).sum());
  const auto central =
      gradients(((net.forward(xbar, x_t, t, s, up) - net.forward(xbar, x_t, t, s, down)) / (2 * h) * w).sum());
  double largest = 0.0, worst = 0.0;
  for (size_t k = 0; k < central.size(); ++k) {
    largest = std::max(largest, central[k].abs().max().item<double>());
    worst = std::max(worst, (forward_mode[k] - central[k]).abs().max().item<double>());
  }
  EXPECT_GT(largest, 1e-3);
  EXPECT_LT(worst, 1e-4 * largest) << "largest gradient entry " << largest;
}

TEST(DiamondTangent, ForwardModeMatchesACentralDifferenceForTheMlpStudent) {
  expect_tangent_matches_central_difference(mlp_case());
}

TEST(DiamondTangent, ForwardModeMatchesACentralDifferenceForTheUnetStudent) {
  expect_tangent_matches_central_difference(unet_case());
}

}  // namespace
