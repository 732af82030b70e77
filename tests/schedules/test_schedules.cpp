// Schedules: boundary values, monotonicity, derivatives against finite differences, g^{-1} round trips.
#include <gtest/gtest.h>

#include <cmath>

#include "glass/schedules/ddpm_table.h"
#include "glass/schedules/schedule.h"

using namespace glass;

namespace {

class ScheduleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScheduleTest, EndPointsAndMonotonicity) {
  const SchedulePtr s = make_schedule(GetParam());
  EXPECT_DOUBLE_EQ(s->alpha(1.0), 1.0);
  EXPECT_DOUBLE_EQ(s->sigma(1.0), 0.0);
  // VP's alpha_0 = exp(-(b0 + b1) / 4) is small but not zero.
  EXPECT_LT(s->alpha(0.0), 0.01);
  EXPECT_GT(s->sigma(0.0), 0.99);
  double prev_ratio = -1.0;
  for (int i = 1; i < 200; ++i) {
    const double t = i / 200.0;
    const double ratio = s->alpha(t) / s->sigma(t);
    EXPECT_GT(ratio, prev_ratio) << "alpha/sigma must increase, t = " << t;
    prev_ratio = ratio;
  }
}

TEST_P(ScheduleTest, InverseOfNoiseToSignalRatioRoundTrips) {
  const SchedulePtr s = make_schedule(GetParam());
  for (int i = 1; i < 100; ++i) {
    const double t = i / 100.0;
    EXPECT_NEAR(s->inv_g(s->g(t)), t, 1e-9) << GetParam() << " at t = " << t;
  }
  EXPECT_NEAR(s->inv_g(INFINITY), 0.0, 1e-12);
  EXPECT_NEAR(s->inv_g(0.0), 1.0, 1e-12);
}

TEST_P(ScheduleTest, DerivativesMatchFiniteDifferences) {
  const SchedulePtr s = make_schedule(GetParam());
  auto* table = dynamic_cast<const DdpmTableSchedule*>(s.get());
  for (int i = 1; i < 50; ++i) {
    double t = i / 50.0;
    if (table) t = table->time_of_step(std::floor(table->step_of_time(t)) - 0.5);  // inside a linear piece
    const double h = 1e-7;
    const double fd_a = (s->alpha(t + h) - s->alpha(t - h)) / (2 * h);
    const double fd_s = (s->sigma(t + h) - s->sigma(t - h)) / (2 * h);
    EXPECT_NEAR(s->d_alpha(t), fd_a, 1e-5 * (1 + std::abs(fd_a))) << GetParam() << " t = " << t;
    EXPECT_NEAR(s->d_sigma(t), fd_s, 1e-5 * (1 + std::abs(fd_s))) << GetParam() << " t = " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(All, ScheduleTest,
                         ::testing::Values("condot", "cosine", "poly:2", "poly:0.5", "vp", "vp:0.1:30", "ddpm",
                                           "ddpm:50"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(DdpmTable, GridTimesCarryTheTable) {
  const auto alphabar = DdpmTableSchedule::linear_betas(1000);
  DdpmTableSchedule s(alphabar);
  for (int k : {0, 1, 10, 500, 998, 999}) {
    const double t = s.time_of_step(k);
    EXPECT_NEAR(s.step_of_time(t), k, 1e-9);
    EXPECT_NEAR(s.alpha(t), std::sqrt(alphabar[k]), 1e-12);
    EXPECT_NEAR(s.sigma(t), std::sqrt(1 - alphabar[k]), 1e-9);
  }
  EXPECT_LT(s.time_of_step(999), s.time_of_step(0));  // k = 999 is the noisiest
}

TEST(DdpmTable, RejectsBadTables) {
  EXPECT_THROW(DdpmTableSchedule({0.5}), std::invalid_argument);
  EXPECT_THROW(DdpmTableSchedule({0.5, 0.6}), std::invalid_argument);
  EXPECT_THROW(DdpmTableSchedule({1.0, 0.6}), std::invalid_argument);
}

TEST(ScheduleFactory, RejectsUnknownOrMalformedSpecs) {
  for (const char* bad : {"", "linear", "poly:x", "poly:-1", "vp:1", "ddpm:1", "ddpm:2.5", "condot:1"})
    EXPECT_THROW(make_schedule(bad), std::invalid_argument) << bad;
}

}  // namespace
