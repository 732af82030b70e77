// The Gaussian-mixture oracle: its closed forms checked against each other and against sampling.
#include <gtest/gtest.h>

#include <cmath>

#include "glass/models/gaussian_mixture.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

torch::Tensor col(double v, int64_t n = 1) { return torch::full({n}, v, torch::kFloat64); }

TEST(MixtureOracle, PresetsLoadAndIncludeAHighDimensionalOne) {
  bool high = false;
  for (const auto& name : GaussianMixture::preset_names()) {
    const GaussianMixture g = GaussianMixture::preset(name);
    EXPECT_NEAR(g.weights().sum().item<double>(), 1.0, 1e-12);
    high |= g.dim() >= 16;
    // JSON round trip.
    const GaussianMixture back = GaussianMixture::from_json(g.to_json());
    EXPECT_TRUE(torch::allclose(back.means(), g.means()));
    EXPECT_TRUE(torch::allclose(back.weights(), g.weights()));
  }
  EXPECT_TRUE(high);
}

TEST(MixtureOracle, PosteriorSamplesHaveTheDenoiserAsMean) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  at::Generator gen = make_generator(11);
  const int64_t n = 20000;
  for (double a : {0.2, 0.5, 0.8}) {
    const double s = 1.0 - a;
    const torch::Tensor x = torch::tensor({{0.4, 0.9}}, torch::kFloat64).expand({n, 2}).contiguous();
    const torch::Tensor z = g.sample_posterior(x, col(a), col(s), gen);
    const torch::Tensor d = g.denoise(x.narrow(0, 0, 1), col(a), col(s));
    // Tolerance: 5 standard errors of the mean of n posterior draws.
    const torch::Tensor se = z.std(0) / std::sqrt(static_cast<double>(n));
    EXPECT_TRUE(((z.mean(0) - d.squeeze(0)).abs() < 5 * se).all().item<bool>()) << "alpha = " << a;
  }
}

// log p_t and the posterior's spread against the closed forms of spec 5, written out here:
// p_t(x) = sum_k pi_k N(x; alpha m_k, v_k I), v_k = alpha^2 s_k^2 + sigma^2, and within component
// k the posterior variance c_k = s_k^2 sigma^2 / v_k per coordinate.
TEST(MixtureOracle, LogDensityAndPosteriorVarianceMatchClosedForms) {
  const std::vector<double> pi = {0.3, 0.7}, sd = {0.4, 1.3};
  const std::vector<std::vector<double>> m = {{1.0, -2.0, 0.5}, {-1.5, 0.5, 2.0}};
  const GaussianMixture g(torch::tensor({1.0, -2.0, 0.5, -1.5, 0.5, 2.0}, torch::kFloat64).reshape({2, 3}),
                          torch::tensor(sd, torch::kFloat64), torch::tensor(pi, torch::kFloat64));
  const double a = 0.6, s = 0.55;
  const torch::Tensor x = torch::tensor({0.3, -0.8, 1.1, 2.0, 2.0, -3.0}, torch::kFloat64).reshape({2, 3});
  const torch::Tensor lp = g.log_prob_noisy(x, col(a), col(s));
  for (int64_t i = 0; i < 2; ++i) {
    double p = 0.0;
    for (size_t k = 0; k < 2; ++k) {
      const double v = a * a * sd[k] * sd[k] + s * s;
      double sq = 0.0;
      for (int64_t j = 0; j < 3; ++j) sq += std::pow(x[i][j].item<double>() - a * m[k][j], 2);
      p += pi[k] * std::exp(-0.5 * sq / v) / std::pow(2 * M_PI * v, 1.5);
    }
    EXPECT_NEAR(lp[i].item<double>(), std::log(p), 1e-10) << "row " << i;
  }
  // One component: the posterior is N(mean, c I); the sample variance of n draws has a standard
  // error of c sqrt(2 / (n - 1)).
  const GaussianMixture one(torch::tensor({{1.0, -2.0, 0.5}}, torch::kFloat64), torch::full({1}, 1.3, torch::kFloat64),
                            torch::ones({1}, torch::kFloat64));
  at::Generator gen = make_generator(3);
  const int64_t n = 40000;
  const torch::Tensor z = one.sample_posterior(x.narrow(0, 0, 1).expand({n, 3}).contiguous(), col(a), col(s), gen);
  const double v = a * a * 1.3 * 1.3 + s * s, c = 1.3 * 1.3 * s * s / v;
  const torch::Tensor var = z.var(0);
  for (int64_t j = 0; j < 3; ++j)
    EXPECT_NEAR(var[j].item<double>(), c, 5 * c * std::sqrt(2.0 / (n - 1))) << "coordinate " << j;
}

TEST(MixtureOracle, NoisyMarginalSamplesMatchTheirDensity) {
  // Sample mean of log p_t(x) over x ~ p_t is the negative entropy; check against the density by
  // comparing two estimates of E[x]: sampling vs the mixture's closed form alpha * sum pi_k m_k.
  const GaussianMixture g = GaussianMixture::preset("ring8");
  at::Generator gen = make_generator(5);
  const int64_t n = 40000;
  const torch::Tensor x = g.sample_noisy(n, 0.6, 0.4, gen);
  const torch::Tensor expected = 0.6 * (g.weights().unsqueeze(1) * g.means()).sum(0);
  const torch::Tensor se = x.std(0) / std::sqrt(static_cast<double>(n));
  EXPECT_TRUE(((x.mean(0) - expected).abs() < 5 * se).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(g.log_prob_noisy(x, col(0.6), col(0.4))).all().item<bool>());
}

TEST(MixtureOracle, TiltedMixtureIsExactlyTheTiltedDensity) {
  // log p_tilted(z) - log p(z) - lambda r(z) must equal -log Z at every z.
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const torch::Tensor center = torch::tensor({2.5, 2.5}, torch::kFloat64);
  const double kappa = 0.8, lambda = 1.5;
  const auto tilt = g.tilted(kappa, center, lambda);
  at::Generator gen = make_generator(2);
  const torch::Tensor z = torch::randn({100, 2}, gen, torch::kFloat64) * 3.0;
  const torch::Tensor r = -kappa * (z - center).pow(2).sum(1) / 2.0;
  const torch::Tensor diff =
      tilt.mixture.log_prob_noisy(z, col(1.0), col(0.0)) - g.log_prob_noisy(z, col(1.0), col(0.0)) - lambda * r;
  EXPECT_TRUE(torch::allclose(diff, torch::full_like(diff, -tilt.log_z), 1e-9, 1e-9));
}

TEST(MixtureOracle, LogZMatchesMonteCarlo) {
  const GaussianMixture g = GaussianMixture::preset("gmm16d");
  const torch::Tensor center = torch::full({16}, 0.5, torch::kFloat64);
  const double kappa = 0.2, lambda = 1.0;
  at::Generator gen = make_generator(9);
  const int64_t n = 200000;
  const torch::Tensor z = g.sample(n, gen);
  const torch::Tensor w = (-lambda * kappa * (z - center).pow(2).sum(1) / 2.0).exp();
  const double mc = w.mean().item<double>(), se = w.std().item<double>() / std::sqrt(static_cast<double>(n));
  EXPECT_NEAR(std::exp(g.tilted(kappa, center, lambda).log_z), mc, 5 * se);
  EXPECT_NEAR(g.tilted(kappa, center, 0.0).log_z, 0.0, 1e-12);  // lambda = 0: no tilt
}

TEST(MixtureOracle, RejectsMalformedDefinitions) {
  const char* bad[] = {
      "{",                                                     // malformed JSON
      "[1, 2]",                                                // not an object
      R"({"means": [[0, 0]]})",                                // no stds
      R"({"means": [[0, 0], [1]], "stds": [1, 1]})",           // ragged means
      R"({"means": [[0, 0]], "stds": [0]})",                   // zero std
      R"({"means": [[0, 0]], "stds": [1, 2]})",                // count mismatch
      R"({"means": [[0, 0]], "stds": [1], "weights": [-1]})",  // negative weight
      R"({"means": [["a", 0]], "stds": [1]})",                 // wrong type
      R"({"means": [], "stds": []})",                          // empty
  };
  for (const char* text : bad) EXPECT_THROW(GaussianMixture::from_json(text), std::invalid_argument) << text;
  EXPECT_THROW(GaussianMixture::from_file("/nonexistent/mixture.json"), std::invalid_argument);
  EXPECT_THROW(GaussianMixture::preset("nope"), std::invalid_argument);
  try {
    GaussianMixture::from_json("{\"means\": ");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos);
  }
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  EXPECT_THROW(g.denoise(torch::zeros({3, 5}), col(0.5), col(0.5)), std::invalid_argument);
}

}  // namespace
