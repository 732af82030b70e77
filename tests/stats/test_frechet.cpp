// The Frechet distance and its matrix square root.
#include <gtest/gtest.h>

#include <cmath>

#include "glass/stats/frechet_distance.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

TEST(Sqrtm, SquaresBackToTheMatrix) {
  at::Generator gen = make_generator(1);
  const torch::Tensor a = torch::randn({20, 20}, gen, torch::kFloat64);
  const torch::Tensor spd = a.matmul(a.t()) + 0.1 * torch::eye(20, torch::kFloat64);
  const torch::Tensor r = sqrtm_psd(spd);
  EXPECT_TRUE(torch::allclose(r.matmul(r), spd, 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(r, r.t()));
  // Rank-deficient PSD input (round-off negative eigenvalues) still gives a real root.
  const torch::Tensor low = a.narrow(1, 0, 3).matmul(a.narrow(1, 0, 3).t());
  const torch::Tensor rl = sqrtm_psd(low);
  EXPECT_TRUE(torch::isfinite(rl).all().item<bool>());
  EXPECT_TRUE(torch::allclose(rl.matmul(rl), low, 1e-8, 1e-8));
}

TEST(Frechet, ClosedFormForGaussians) {
  // Commuting covariances: d = |m1 - m2|^2 + sum (sqrt(a) - sqrt(b))^2.
  const torch::Tensor a = torch::tensor({1.0, 4.0, 9.0}, torch::kFloat64),
                      b = torch::tensor({4.0, 1.0, 9.0}, torch::kFloat64);
  const torch::Tensor m1 = torch::tensor({0.0, 1.0, 2.0}, torch::kFloat64),
                      m2 = torch::tensor({1.0, 1.0, 0.0}, torch::kFloat64);
  EXPECT_NEAR(frechet_distance(m1, torch::diag(a), m2, torch::diag(b)), 5.0 + 1.0 + 1.0, 1e-9);
  EXPECT_NEAR(frechet_distance(m1, torch::diag(a), m1, torch::diag(a)), 0.0, 1e-9);
}

TEST(Frechet, SelfDistanceIsZeroAndAKnownShiftShowsUp) {
  at::Generator gen = make_generator(2);
  const int64_t n = 20000, d = 8;
  const torch::Tensor x = torch::randn({n, d}, gen, torch::kFloat64);
  EXPECT_NEAR(frechet_distance(x, x), 0.0, 1e-8);
  const torch::Tensor y = torch::randn({n, d}, gen, torch::kFloat64);
  // Two independent N(0, I) sets: sampling bias of order d^2 / n.
  const double floor = frechet_distance(x, y);
  EXPECT_LT(floor, 0.02);
  for (double shift : {0.5, 1.0, 2.0}) {
    const double fd = frechet_distance(x, y + shift);  // |shift * 1|^2 = d shift^2
    EXPECT_NEAR(fd, d * shift * shift, 0.05 + 0.05 * d * shift * shift) << shift;
  }
  // Scaling: N(0, I) vs N(0, 4 I) is d (2 - 1)^2 = d.
  EXPECT_NEAR(frechet_distance(x, 2.0 * y), static_cast<double>(d), 0.3);
  EXPECT_THROW(frechet_distance(x, torch::zeros({10, 3})), std::invalid_argument);
}

}  // namespace
