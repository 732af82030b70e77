// Network calls each kernel needs to reach a given energy distance to the exact answer on the
// Gaussian-mixture oracle. Prints markdown tables (for docs/benchmarks.md).
//   1. one transition t = 0.3 -> 0.7 of the DDPM process (rho = rho_DDPM): GLASS(ddpm, M) against
//      a chain of L ancestral DDPM steps, both targeting the same exact transition;
//   2. the same for GLASS(rho = 0.4, M) against its own exact transition;
//   3. full sampling from t = 0: ODE (Heun), DDPM, SDE and GLASS at growing NFE.
#include <cstdio>
#include <functional>

#include "glass/models/mixture_network.h"
#include "glass/models/network_flow_model.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/energy_distance.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

constexpr int64_t kN = 3000;
constexpr int kStarts = 3;  // distances are averaged over this many starting points x_t

struct Row {
  std::string method;
  int64_t nfe;
  double distance;
};

void print_table(const char* title, const std::vector<Row>& rows, double floor) {
  std::printf(
      "\n### %s\n\nnoise floor (exact vs exact, n = %lld): %.5f\n\n| method | NFE | energy distance | / floor "
      "|\n|---|---|---|---|\n",
      title, static_cast<long long>(kN), floor);
  for (const Row& r : rows)
    std::printf("| %s | %lld | %.5f | %.1f |\n", r.method.c_str(), static_cast<long long>(r.nfe), r.distance,
                r.distance / floor);
  std::fflush(stdout);
}

}  // namespace

int main() {
  torch::set_num_threads(2);
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  NetworkFlowModel model(std::make_shared<MixtureNetwork>(g, s), s,
                         ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  at::Generator gen = make_generator(2026);
  const double t = 0.3, tn = 0.7;
  std::vector<torch::Tensor> starts;
  for (int i = 0; i < kStarts; ++i)
    starts.push_back(g.sample_noisy(1, s->alpha(t), s->sigma(t), gen).to(torch::kFloat32).expand({kN, 2}).contiguous());

  // Mean distance over the starting points between `draw(x)` and exact draws.
  auto mean_distance = [&](ExactMixtureTransition& exact,
                           const std::function<torch::Tensor(const torch::Tensor&)>& draw) {
    double total = 0.0;
    for (const auto& x : starts)
      total += energy_distance(draw(x), exact.step(x, full_times(1, t), full_times(1, tn), gen).x);
    return total / kStarts;
  };

  for (const char* rho : {"ddpm", "0.4"}) {
    ExactMixtureTransition exact(g, s, RhoSchedule::parse(rho));
    const double floor = mean_distance(
        exact, [&](const torch::Tensor& x) { return exact.step(x, full_times(1, t), full_times(1, tn), gen).x; });
    std::vector<Row> rows;
    for (int M : {1, 2, 4, 8, 16, 32}) {
      GlassTransition kernel(model, GlassOptions{RhoSchedule::parse(rho), M, 1.0});
      rows.push_back({std::string("GLASS(rho=") + rho + ")", M, mean_distance(exact, [&](const torch::Tensor& x) {
                        return kernel.step(x, full_times(1, t), full_times(1, tn), gen).x;
                      })});
    }
    if (std::string(rho) == "ddpm") {
      DdpmTransition ddpm(model);
      for (int L : {1, 2, 4, 8, 16, 32, 64, 128}) {
        rows.push_back({"DDPM chain", L, mean_distance(exact, [&](const torch::Tensor& x) {
                          return run_chain(ddpm, x, uniform_grid(L, t, tn), gen).x;
                        })});
      }
    }
    print_table((std::string("One transition 0.3 -> 0.7, rho = ") + rho).c_str(), rows, floor);
  }

  // Full sampling from noise; distance to exact data samples.
  double floor = 0.0;
  for (int i = 0; i < kStarts; ++i) floor += energy_distance(g.sample(kN, gen), g.sample(kN, gen)) / kStarts;
  std::vector<Row> rows;
  auto full = [&](const std::string& name, TransitionKernel& k, int steps) {
    double total = 0.0;
    int64_t nfe = 0;
    for (int i = 0; i < kStarts; ++i) {
      const SampleResult r = run_chain(k, prior_noise(kN, {2}, gen), uniform_grid(steps), gen);
      total += energy_distance(r.x, g.sample(kN, gen));
      nfe = r.nfe;
    }
    rows.push_back({name, nfe, total / kStarts});
  };
  OdeTransition heun(model, OdeMethod::Heun);
  DdpmTransition ddpm(model);
  SdeTransition sde(model, SdeOptions{Diffusion::Sigma, 1.0, 1});
  for (int nfe : {4, 8, 16, 32, 64}) {
    full("ODE (Heun)", heun, nfe / 2);
    full("DDPM", ddpm, nfe);
    full("SDE (g = sigma)", sde, nfe);
  }
  for (int M : {2, 4, 8, 16}) {
    GlassTransition k(model, GlassOptions{RhoSchedule::constant(0.4), M, 1.0});
    full("GLASS(rho=0.4), K = 4", k, 4);
  }
  for (int M : {2, 4, 8, 16}) {
    GlassTransition k(model, GlassOptions{RhoSchedule::ddpm(), M, 1.0});
    full("GLASS(rho=ddpm), K = 4", k, 4);
  }
  print_table("Full sampling from t = 0 (gmm2d, condot)", rows, floor);
  return 0;
}
