// GLASS's inner solvers at equal network calls. Prints markdown tables for docs/benchmarks.md:
//   1. mixtures: energy distance to exact transitions of gmm2d (3000 samples, mean over 3 start
//      points x_t) against calls per transition, for each solver;
//   2. Fashion-MNIST (with --images): posterior samples of 300 test images noised to t in
//      {0.2, 0.5, 0.8} by the shipped U-Net, classifier-FID against the test set, against calls.
// usage: bench_inner_solvers [--images]   (run from the repository root)
#include <cstdio>
#include <cstring>
#include <string>

#include "glass/data/idx_reader.h"
#include "glass/models/mixture_network.h"
#include "glass/models/model_file.h"
#include "glass/models/network_flow_model.h"
#include "glass/stats/energy_distance.h"
#include "glass/stats/image_quality.h"
#include "glass/training/classifier_trainer.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/allocator.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

const std::vector<InnerSolver> kSolvers = {InnerSolver::Euler, InnerSolver::Midpoint, InnerSolver::Heun,
                                           InnerSolver::Ab2, InnerSolver::Pc3};
const std::vector<int> kCalls = {2, 4, 8, 16};

GlassOptions options_for(InnerSolver solver, int calls, double rho) {
  GlassOptions o{RhoSchedule::constant(rho), calls / calls_per_inner_step(solver), 1.0};
  o.solver = solver;
  return o;
}

void mixtures() {
  constexpr int64_t kN = 3000;
  constexpr int kStarts = 3;
  const GaussianMixture g = GaussianMixture::preset("gmm2d");
  const SchedulePtr s = make_schedule("condot");
  NetworkFlowModel model(std::make_shared<MixtureNetwork>(g, s), s,
                         ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  struct Case {
    double t, t_next, rho;
  };
  std::printf("### Mixture gmm2d: energy distance to exact transitions (n = %lld, mean of %d start points)\n\n",
              static_cast<long long>(kN), kStarts);
  std::printf("| transition | floor | calls |");
  for (InnerSolver solver : kSolvers) std::printf(" %s |", inner_solver_name(solver).c_str());
  std::printf("\n|---|---|---|");
  for (size_t i = 0; i < kSolvers.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (const Case c : {Case{0.3, 0.7, 0.4}, Case{0.6, 0.95, 0.8}, Case{0.2, 0.6, -0.3}, Case{0.4, 1.0, 0.0}}) {
    at::Generator gen = make_generator(2026);
    ExactMixtureTransition exact(g, s, RhoSchedule::constant(c.rho));
    const torch::Tensor t = full_times(1, c.t), tn = full_times(1, c.t_next);
    std::vector<torch::Tensor> starts, references;
    double floor = 0.0;
    for (int i = 0; i < kStarts; ++i) {
      starts.push_back(
          g.sample_noisy(1, s->alpha(c.t), s->sigma(c.t), gen).to(torch::kFloat32).expand({kN, 2}).contiguous());
      references.push_back(exact.step(starts.back(), t, tn, gen).x);
      floor += energy_distance(exact.step(starts.back(), t, tn, gen).x, references.back()) / kStarts;
    }
    for (int calls : kCalls) {
      std::printf("| %.1f -> %.2f, rho %.1f | %.4f | %d |", c.t, c.t_next, c.rho, floor, calls);
      for (InnerSolver solver : kSolvers) {
        GlassTransition kernel(model, options_for(solver, calls, c.rho));
        double d = 0.0;
        for (int i = 0; i < kStarts; ++i)
          d += energy_distance(kernel.step(starts[i], t, tn, gen).x, references[i]) / kStarts;
        std::printf(" %.4f |", d);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
}

void images() {
  constexpr int64_t kImages = 300;
  LoadedModelFile file = load_model_file("models/fashion-mnist-unet/model.json", {});
  FlowModel& model = *file.model;
  Classifier classifier = load_classifier("models/fashion-mnist-classifier/model.json");
  const LabelledImages test = load_fashion_mnist("test");
  const torch::Tensor test_features = classifier_features(classifier, test.images);
  const torch::Tensor clean = test.images.slice(0, 0, kImages);
  const Schedule& s = model.schedule();
  torch::NoGradGuard no_grad;
  std::printf(
      "\n### Fashion-MNIST posterior samples: classifier-FID vs the test set (%lld test images noised to t)\n\n",
      static_cast<long long>(kImages));
  std::printf("clean images: %.1f\n\n| t | calls |", assess_images(classifier, clean, test_features).fid);
  for (InnerSolver solver : kSolvers) std::printf(" %s |", inner_solver_name(solver).c_str());
  std::printf("\n|---|---|");
  for (size_t i = 0; i < kSolvers.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (double t : {0.2, 0.5, 0.8}) {
    at::Generator noise_gen = make_generator(7);
    const torch::Tensor x = clean * s.alpha(t) + randn_like_on(clean, noise_gen) * s.sigma(t);
    for (int calls : kCalls) {
      std::printf("| %.1f | %d |", t, calls);
      for (InnerSolver solver : kSolvers) {
        at::Generator gen = make_generator(11);
        GlassTransition kernel(model, options_for(solver, calls, 0.0));
        const torch::Tensor z = kernel.step(x, full_times(1, t), full_times(1, 1.0), gen).x;
        std::printf(" %.1f |", assess_images(classifier, z, test_features).fid);
        std::fflush(stdout);
      }
      std::printf("\n");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();  // as the CLI does: no page faults for every freed batch
  try {
    mixtures();
    if (argc > 1 && std::strcmp(argv[1], "--images") == 0) images();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_inner_solvers: %s\n", e.what());
    return 1;
  }
  return 0;
}
