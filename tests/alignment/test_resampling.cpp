// Resampling schemes: unbiased offspring counts, valid lineages, zero weights never chosen; each
// scheme's own guarantee (floor/ceil counts, killing's kept slots, ordering's lower variance).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "glass/alignment/resampling.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

const std::vector<ResamplingScheme> kAllSchemes{ResamplingScheme::Multinomial, ResamplingScheme::Stratified,
                                                ResamplingScheme::Systematic,  ResamplingScheme::Residual,
                                                ResamplingScheme::Ssp,         ResamplingScheme::Killing};

bool keeps_floor(ResamplingScheme s) {
  return s == ResamplingScheme::Residual || s == ResamplingScheme::Systematic || s == ResamplingScheme::Ssp;
}
bool within_ceil(ResamplingScheme s) { return s == ResamplingScheme::Systematic || s == ResamplingScheme::Ssp; }

struct Case {
  ResamplingScheme scheme;
  bool ordered;
};

std::string case_name(const Case& c) { return to_string(c.scheme) + (c.ordered ? "_ordered" : ""); }

class Resamplers : public ::testing::TestWithParam<Case> {
 protected:
  std::vector<int64_t> draw(const std::vector<double>& w, int64_t n, at::Generator& gen) const {
    // Keys that shuffle the order: the ordered variant must map back to the given indices.
    const std::vector<double> keys{0.3, -1.0, 2.0, 0.1, 5.0, -3.0, 0.2, 1.5};
    return GetParam().ordered ? resample_in_order(GetParam().scheme, w, keys, n, gen)
                              : resample(GetParam().scheme, w, n, gen);
  }
};

TEST_P(Resamplers, OffspringCountsAreUnbiased) {
  const ResamplingScheme scheme = GetParam().scheme;
  const std::vector<double> w{0.05, 0.3, 0.0, 0.15, 0.02, 0.28, 0.1, 0.1};
  const int64_t n = 8;
  const int rounds = 4000;
  at::Generator gen = make_generator(11);
  std::vector<double> mean(w.size(), 0.0), sq(w.size(), 0.0);
  for (int r = 0; r < rounds; ++r) {
    const std::vector<int64_t> a = draw(w, n, gen);
    ASSERT_EQ(static_cast<int64_t>(a.size()), n);
    if (scheme != ResamplingScheme::Killing) ASSERT_TRUE(std::is_sorted(a.begin(), a.end()));
    std::vector<double> counts(w.size(), 0.0);
    for (int64_t i : a) {
      ASSERT_GE(i, 0);
      ASSERT_LT(i, 8);
      counts[static_cast<size_t>(i)] += 1;
    }
    EXPECT_EQ(counts[2], 0.0) << "a zero-weight particle was chosen";
    for (size_t i = 0; i < w.size(); ++i) {
      mean[i] += counts[i] / rounds;
      sq[i] += counts[i] * counts[i] / rounds;
      if (keeps_floor(scheme)) EXPECT_GE(counts[i], std::floor(n * w[i]));
      if (within_ceil(scheme)) EXPECT_LE(counts[i], std::ceil(n * w[i]));
    }
  }
  for (size_t i = 0; i < w.size(); ++i) {
    const double var = std::max(sq[i] - mean[i] * mean[i], 1e-12);
    // Expected offspring = N w_i, within 5 standard errors of the mean over the rounds.
    EXPECT_NEAR(mean[i], n * w[i], 5 * std::sqrt(var / rounds) + 1e-12) << "particle " << i;
  }
}

TEST_P(Resamplers, RejectsBadWeights) {
  at::Generator gen = make_generator(1);
  EXPECT_THROW(resample(GetParam().scheme, {0.5, 0.6}, 2, gen), std::invalid_argument);
  EXPECT_THROW(resample(GetParam().scheme, {1.0, std::nan("")}, 2, gen), std::invalid_argument);
  EXPECT_THROW(resample(GetParam().scheme, {}, 2, gen), std::invalid_argument);
  EXPECT_THROW(resample_in_order(GetParam().scheme, {0.5, 0.5}, {1.0}, 2, gen), std::invalid_argument);
}

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (ResamplingScheme s : kAllSchemes) out.push_back({s, false});
  for (ResamplingScheme s : {ResamplingScheme::Systematic, ResamplingScheme::Ssp}) out.push_back({s, true});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Schemes, Resamplers, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) { return case_name(info.param); });

TEST(Resampling, SchemesParseByName) {
  for (const char* n : {"multinomial", "stratified", "systematic", "residual", "ssp", "killing"})
    EXPECT_EQ(to_string(parse_resampling_scheme(n)), n);
  EXPECT_THROW(parse_resampling_scheme("srinivasan"), std::invalid_argument);
}

// Killing keeps a particle of the largest weight in its own slot for sure, and any particle in
// its own slot at least with probability w_i / max w (it survives; a refill may land there too).
TEST(Resampling, KillingKeepsSurvivorsInTheirSlots) {
  const std::vector<double> w{0.1, 0.4, 0.2, 0.3};
  at::Generator gen = make_generator(5);
  const int rounds = 4000;
  std::vector<double> stays(w.size(), 0.0);
  for (int r = 0; r < rounds; ++r) {
    const std::vector<int64_t> a = resample(ResamplingScheme::Killing, w, 4, gen);
    ASSERT_EQ(a[1], 1);
    for (size_t i = 0; i < w.size(); ++i) stays[i] += a[i] == static_cast<int64_t>(i) ? 1.0 / rounds : 0.0;
  }
  for (size_t i : {0, 2, 3}) {
    const double p = w[i] / 0.4;
    EXPECT_GT(stays[i], p - 5 * std::sqrt(p * (1 - p) / rounds)) << "slot " << i;
  }
  EXPECT_THROW(resample(ResamplingScheme::Killing, w, 3, gen), std::invalid_argument);
}

// Ordering is what makes systematic and SSP resampling low-variance for smooth functions of the
// particles (Gerber, Chopin & Whiteley 2019): the resampled mean of the key itself, over random
// weights and keys, varies several times less than without the order.
TEST(Resampling, OrderingByTheKeyLowersTheVarianceOfResampledMeans) {
  at::Generator gen = make_generator(9);
  const int64_t n = 64;
  const int rounds = 800;
  for (ResamplingScheme scheme : {ResamplingScheme::Systematic, ResamplingScheme::Ssp}) {
    double var_plain = 0.0, var_ordered = 0.0;
    for (int r = 0; r < rounds; ++r) {
      const torch::Tensor keys_t = torch::randn({n}, gen, torch::kFloat64);
      const torch::Tensor w_t = torch::softmax(keys_t * 0.7 + torch::randn({n}, gen, torch::kFloat64) * 0.5, 0);
      const std::vector<double> keys(keys_t.data_ptr<double>(), keys_t.data_ptr<double>() + n);
      const std::vector<double> w(w_t.data_ptr<double>(), w_t.data_ptr<double>() + n);
      const double exact = (w_t * keys_t).sum().item<double>();
      const auto err = [&](const std::vector<int64_t>& a) {
        double m = 0.0;
        for (int64_t i : a) m += keys[static_cast<size_t>(i)] / n;
        return (m - exact) * (m - exact) / rounds;
      };
      var_plain += err(resample(scheme, w, n, gen));
      var_ordered += err(resample_in_order(scheme, w, keys, n, gen));
    }
    EXPECT_LT(var_ordered, var_plain / 3) << to_string(scheme) << ": " << var_ordered << " vs " << var_plain;
  }
}

}  // namespace
