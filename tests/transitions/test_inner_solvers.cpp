// GLASS's inner ODE solvers (euler, midpoint, heun, ab2, pc3). (1) Each matches an independent
// Python implementation of its textbook form (tests/python/glass_inner_solvers.py) on the same
// start noise, with shared and per-particle times. (2) Each converges at its order: the error
// against a fine solution of the same inner ODE halves (Euler), quarters (second order) or falls
// eightfold (pc3) as the steps double. (3) The default solver with 4 calls per transition is as
// close to the exact transition of a mixture as Euler with 16.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "glass/io/tensor_files.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

const std::vector<InnerSolver> kSolvers = {InnerSolver::Euler, InnerSolver::Midpoint, InnerSolver::Heun,
                                           InnerSolver::Ab2, InnerSolver::Pc3};

GlassOptions options_for(InnerSolver solver, int M, double rho = 0.4) {
  GlassOptions o{RhoSchedule::constant(rho), M, 1.0};
  o.solver = solver;
  return o;
}

struct ReferenceCase {
  const char* name;
  const char* schedule;
  std::vector<double> t, t_next;  // one entry: shared by all rows
  double rho;
};

void PrintTo(const ReferenceCase& c, std::ostream* os) { *os << c.name; }

class InnerSolverReference : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(InnerSolverReference, MatchesAnIndependentImplementation) {
  const ReferenceCase c = GetParam();
  constexpr int64_t kRows = 12;
  constexpr int kSteps = 4;
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule(c.schedule);
  auto model = test::mixture_model(g, s);
  const auto expand = [&](const std::vector<double>& v) {
    std::vector<double> out(kRows);
    for (int64_t i = 0; i < kRows; ++i) out[i] = v[static_cast<size_t>(i) % v.size()];
    return out;
  };
  const std::vector<double> t = expand(c.t), t_next = expand(c.t_next);
  at::Generator gen = make_generator(5);
  const torch::Tensor x = torch::randn({kRows, 2}, gen, torch::kFloat64) * 0.8;
  // The kernel's only draw is the inner start noise: the same seed gives the reference the same eps.
  at::Generator noise_gen = make_generator(9);
  const torch::Tensor eps = randn_like_on(x, noise_gen);

  const fs::path dir = fs::temp_directory_path() / ("glass_test_inner_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  nlohmann::json solvers = nlohmann::json::array();
  for (InnerSolver solver : kSolvers) solvers.push_back(inner_solver_name(solver));
  std::ofstream((dir / "case.json").string()) << nlohmann::json{
      {"schedule", c.schedule},
      {"rho", c.rho},
      {"t", t},
      {"t_next", t_next},
      {"M", kSteps},
      {"solvers", solvers},
      {"mixture",
       nlohmann::json::parse(g.to_json())}}.dump();
  write_npy((dir / "x.npy").string(), x);
  write_npy((dir / "eps.npy").string(), eps);
  const std::string cmd = GLASS_PYTHON_PATH " " GLASS_SOURCE_DIR "/tests/python/glass_inner_solvers.py " + dir.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "the Python reference failed (is python3-numpy installed?)";

  const torch::Tensor tt = c.t.size() == 1 ? full_times(1, c.t[0]) : times_tensor(t);
  const torch::Tensor tn = c.t_next.size() == 1 ? full_times(1, c.t_next[0]) : times_tensor(t_next);
  for (InnerSolver solver : kSolvers) {
    GlassTransition kernel(*model, options_for(solver, kSteps, c.rho));
    at::Generator run_gen = make_generator(9);
    model->reset_cost();
    const StepResult r = kernel.step(x, tt, tn, run_gen);
    EXPECT_EQ(r.nfe, kSteps * calls_per_inner_step(solver));
    EXPECT_EQ(model->cost().calls, r.nfe);
    const torch::Tensor expected = read_npy((dir / ("out_" + inner_solver_name(solver) + ".npy")).string());
    const double err = (r.x - expected).abs().max().item<double>();
    EXPECT_LT(err, 1e-9) << inner_solver_name(solver) << ": max |glass - reference| = " << err;
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, InnerSolverReference,
    ::testing::Values(ReferenceCase{"shared", "condot", {0.3}, {0.7}, 0.4},
                      ReferenceCase{"posterior", "cosine", {0.4}, {1.0}, 0.0},
                      ReferenceCase{"per_particle", "condot", {0.0, 0.2, 0.5, 0.3}, {0.6, 1.0, 0.9, 1.0}, -0.3}),
    [](const auto& info) { return std::string(info.param.name); });

struct OrderCase {
  const char* name;
  double t, t_next, rho;
};

void PrintTo(const OrderCase& c, std::ostream* os) { *os << c.name; }

class InnerSolverOrder : public ::testing::TestWithParam<OrderCase> {};

// The inner ODE from one start noise solved with M = 8 ... 64 steps against a fine midpoint solution
// (M = 2048): the error's slope in log M is the order of convergence.
TEST_P(InnerSolverOrder, ErrorFallsAtTheSolversOrder) {
  const OrderCase c = GetParam();
  constexpr int64_t kRows = 200;
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(3);
  const torch::Tensor x = g.sample_noisy(kRows, s->alpha(c.t), s->sigma(c.t), gen);
  const torch::Tensor t = full_times(1, c.t), tn = full_times(1, c.t_next);
  const auto solve = [&](InnerSolver solver, int M) {
    GlassTransition kernel(*model, options_for(solver, M, c.rho));
    at::Generator noise = make_generator(11);
    return kernel.step(x, t, tn, noise).x;
  };
  const torch::Tensor fine = solve(InnerSolver::Midpoint, 2048);
  for (InnerSolver solver : kSolvers) {
    std::vector<double> err;
    for (int M : {8, 16, 32, 64}) err.push_back((solve(solver, M) - fine).pow(2).sum(1).mean().sqrt().item<double>());
    const double order = std::log2(err[1] / err[3]) / 2.0;  // over 16 -> 64 steps (pre-asymptotic: pc3 2.6-3.1)
    std::printf("[inner order] %s %-8s errors M=8..64: %.2e %.2e %.2e %.2e  order %.2f\n", c.name,
                inner_solver_name(solver).c_str(), err[0], err[1], err[2], err[3], order);
    const int p = inner_solver_order(solver);
    EXPECT_GT(order, p - 0.45) << inner_solver_name(solver);
    EXPECT_LT(order, p + 0.6) << inner_solver_name(solver);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, InnerSolverOrder,
                         ::testing::Values(OrderCase{"mid", 0.3, 0.7, 0.4}, OrderCase{"late_rho08", 0.6, 0.95, 0.8},
                                           OrderCase{"negative_rho", 0.2, 0.6, -0.3},
                                           OrderCase{"posterior", 0.5, 1.0, 0.0}));

class InnerSolverAccuracy : public ::testing::TestWithParam<OrderCase> {};

// Against exact transitions (energy distance, 3000 samples from one x_t): the default solver with
// 4 calls is as close as Euler with 16.
TEST_P(InnerSolverAccuracy, FourCallsOfTheDefaultMatchSixteenOfEuler) {
  const OrderCase c = GetParam();
  constexpr int64_t kN = 3000;
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(21);
  const torch::Tensor x0 = g.sample_noisy(1, s->alpha(c.t), s->sigma(c.t), gen).to(torch::kFloat32);
  const torch::Tensor x = x0.expand({kN, 2}).contiguous();
  const torch::Tensor t = full_times(1, c.t), tn = full_times(1, c.t_next);
  ExactMixtureTransition exact(g, s, RhoSchedule::constant(c.rho));
  const torch::Tensor reference = exact.step(x, t, tn, gen).x;
  const double floor = test::noise_floor([&] { return exact.step(x, t, tn, gen).x; });
  const auto distance = [&](InnerSolver solver, int M) {
    GlassTransition kernel(*model, options_for(solver, M, c.rho));
    return energy_distance(kernel.step(x, t, tn, gen).x, reference);
  };
  const InnerSolver best = GlassOptions{}.solver;
  const double euler4 = distance(InnerSolver::Euler, 4), euler16 = distance(InnerSolver::Euler, 16);
  const double best4 = distance(best, 4);
  std::printf("[inner accuracy] %s floor %.4f: euler 4 calls %.4f, 16 calls %.4f; %s 4 calls %.4f\n", c.name, floor,
              euler4, euler16, inner_solver_name(best).c_str(), best4);
  // Within sampling noise of Euler's 16 (a distance sample scatters by about the floor) ...
  EXPECT_LT(best4, std::max(euler16, floor) + 2 * floor);
  // ... and far from Euler's 4 (10-40 floors away).
  EXPECT_LT(best4, euler4 / 3);
}

INSTANTIATE_TEST_SUITE_P(Cases, InnerSolverAccuracy,
                         ::testing::Values(OrderCase{"mid", 0.3, 0.7, 0.4}, OrderCase{"late_rho08", 0.6, 0.95, 0.8},
                                           OrderCase{"negative_rho", 0.2, 0.6, -0.3},
                                           OrderCase{"posterior", 0.4, 1.0, 0.0}));

// Just below t' = 1 the inner noise at s = 1 is tiny but not zero: a Heun stage there divides by
// it, and float32 states lose every digit (t' = 1 - 1e-9 gave 80 noise floors). Its last step is a
// midpoint step there too, so the transition matches the exact one as it does at t' = 1.
TEST(InnerSolvers, HeunJustBelowTheDataEndMatchesTheExactTransition) {
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  auto model = test::mixture_model(g, s);
  at::Generator gen = make_generator(8);
  const torch::Tensor x = torch::tensor({{0.5f, 0.2f}}).expand({2000, 2}).contiguous();
  const torch::Tensor t = full_times(1, 0.5);
  ExactMixtureTransition exact(g, s, RhoSchedule::constant(0.4));
  for (double gap : {1e-9, 1e-7, 0.0}) {
    const torch::Tensor tn = full_times(1, 1.0 - gap);
    const auto draw_exact = [&] { return exact.step(x, t, tn, gen).x; };
    const double floor = test::noise_floor(draw_exact);
    GlassTransition heun(*model, options_for(InnerSolver::Heun, 8));
    const double d = energy_distance(heun.step(x, t, tn, gen).x, draw_exact());
    EXPECT_LT(d, 4 * floor) << "t' = 1 - " << gap << ", floor " << floor;
  }
}

}  // namespace
