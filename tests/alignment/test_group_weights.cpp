// GroupWeights: the log Z of each group in closed form across carried, restarted and funnelled steps.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "glass/alignment/group_weights.h"

namespace glass {
namespace {

double log_mean_exp(const torch::Tensor& v) {
  return torch::logsumexp(v, 0).item<double>() - std::log(static_cast<double>(v.size(0)));
}

TEST(GroupWeights, CarriedStepsGiveTheLogMeanOfTheProductOfPotentials) {
  const torch::Tensor g1 = torch::tensor({0.3, -1.2, 2.0, 0.1, -0.5, 1.5}, torch::kFloat64);  // 2 groups of 3
  const torch::Tensor g2 = torch::tensor({1.0, 0.4, -0.7, 0.0, 2.2, -1.1}, torch::kFloat64);
  GroupWeights w(2, 3);
  w.reweight(g1, 1);
  for (int64_t g = 0; g < 2; ++g) {
    EXPECT_NEAR(w.log_z()[static_cast<size_t>(g)], log_mean_exp(g1.narrow(0, 3 * g, 3)), 1e-12);
    const std::vector<double> p = w.normalized(g);
    const torch::Tensor expected = torch::softmax(g1.narrow(0, 3 * g, 3), 0);
    double sum_sq = 0.0;
    for (int64_t i = 0; i < 3; ++i) {
      EXPECT_NEAR(p[static_cast<size_t>(i)], expected[i].item<double>(), 1e-12);
      sum_sq += p[static_cast<size_t>(i)] * p[static_cast<size_t>(i)];
    }
    EXPECT_NEAR(w.ess(g), 1.0 / sum_sq, 1e-12);
    w.carry_on(g);
  }
  w.advance();
  w.reweight(g2, 2);
  for (int64_t g = 0; g < 2; ++g)
    EXPECT_NEAR(w.log_z()[static_cast<size_t>(g)], log_mean_exp((g1 + g2).narrow(0, 3 * g, 3)), 1e-12);
}

TEST(GroupWeights, ARestartAddsTheOffspringsMeanWeightAndMayChangeTheCount) {
  const torch::Tensor g1 = torch::tensor({0.5, -0.5, 1.0, 2.0}, torch::kFloat64);  // 1 group of 4
  GroupWeights w(1, 4);
  w.reweight(g1, 1);
  const double after_first = w.log_z()[0];
  // A VASR-style restart to 2 offspring with their own log-weights (a funnel: 4 -> 2).
  const torch::Tensor offspring = torch::tensor({0.2, -0.6}, torch::kFloat64);
  w.restart(0, offspring);
  w.advance();
  EXPECT_NEAR(w.log_z()[0], after_first + log_mean_exp(offspring), 1e-12);
  EXPECT_EQ(w.log_weights().size(1), 2);
  const torch::Tensor g2 = torch::tensor({1.0, -1.0}, torch::kFloat64);
  w.reweight(g2, 2);
  // The next step counts from the offspring's mass: log sum w e^g - log sum w.
  EXPECT_NEAR(w.log_z()[0],
              after_first + log_mean_exp(offspring) + torch::logsumexp(offspring + g2, 0).item<double>() -
                  torch::logsumexp(offspring, 0).item<double>(),
              1e-12);
}

TEST(GroupWeights, AGroupWithNoWeightLeftIsAnErrorNamingIt) {
  const double inf = std::numeric_limits<double>::infinity();
  GroupWeights w(2, 2);
  try {
    w.reweight(torch::tensor({0.0, 1.0, -inf, -inf}, torch::kFloat64), 3);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("group 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("step 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace glass
