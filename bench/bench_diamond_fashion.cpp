// A Fashion-MNIST Diamond Map against GLASS and DDPM at equal network calls. Prints markdown
// tables for docs/benchmarks.md:
//   1. posterior samples of 300 test images noised to t in {0.2, 0.5, 0.8} by the shipped U-Net:
//      classifier-FID against the test set for the map at 1, 2 and 4 calls, GLASS (pc3, the
//      default inner solver) and DDPM ancestral steps from t to 1 at 1 to 50 calls;
//   2. (with --values) value estimates V(x_t) = log mean exp(r(z)) of the classifier reward
//      log p(class | z) for 64 test images noised to t: Pearson correlation with a ground truth
//      from 64 GLASS posterior samples of 16 calls each.
// usage: bench_diamond_fashion MAP_DIR [--values] [--diamond-only]   (run from the repository root;
// --diamond-only skips the GLASS and DDPM columns, which do not depend on the map)
#include <cstdio>
#include <cstring>
#include <string>

#include "glass/data/idx_reader.h"
#include "glass/diamond/diamond_map.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/models/model_file.h"
#include "glass/rewards/classifier_reward.h"
#include "glass/stats/image_quality.h"
#include "glass/training/classifier_trainer.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/allocator.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "glass/values/chain_posterior_sampler.h"
#include "glass/values/value_estimate.h"

using namespace glass;

namespace {

const std::vector<int> kCalls = {1, 2, 4, 8, 16, 50};
const std::vector<double> kTimes = {0.2, 0.5, 0.8};

GlassOptions pc3(int calls) {
  GlassOptions o{RhoSchedule::constant(0.0), calls, 1.0};
  o.solver = InnerSolver::Pc3;
  return o;
}

// DDPM ancestral steps on a uniform grid from t to 1: `calls` calls.
torch::Tensor ddpm_posterior(FlowModel& model, const torch::Tensor& x, double t, int calls, at::Generator& gen) {
  return ChainPosteriorSampler(std::make_unique<DdpmTransition>(model), calls).sample(x, full_times(x.size(0), t), gen);
}

struct Scene {
  LoadedModelFile file = load_model_file("models/fashion-mnist-unet/model.json", {});
  // At most 512 rows a call: the ground-truth values put 64 x 64 rows through the U-Net, which at
  // once took 11 GB and 90 M page faults.
  FlowModel& model = (file.model->set_max_batch(512), *file.model);
  Classifier classifier = load_classifier("models/fashion-mnist-classifier/model.json");
  LabelledImages test = load_fashion_mnist("test");
  torch::Tensor noisy(const torch::Tensor& clean, double t) const {
    at::Generator noise_gen = make_generator(7);
    const Schedule& s = model.schedule();
    return clean * s.alpha(t) + randn_like_on(clean, noise_gen) * s.sigma(t);
  }
};

void posterior_fid(Scene& scene, DiamondMap& map, bool diamond_only) {
  constexpr int64_t kImages = 300;
  const torch::Tensor test_features = classifier_features(scene.classifier, scene.test.images);
  const torch::Tensor clean = scene.test.images.slice(0, 0, kImages);
  torch::NoGradGuard no_grad;
  std::printf(
      "\n### Fashion-MNIST posterior samples: classifier-FID vs the test set (%lld test images noised to t)\n\n",
      static_cast<long long>(kImages));
  std::printf("clean images: %.1f\n\n| t | calls | Diamond | GLASS (pc3) | DDPM |\n|---|---|---|---|---|\n",
              assess_images(scene.classifier, clean, test_features).fid);
  for (double t : kTimes) {
    const torch::Tensor x = scene.noisy(clean, t);
    for (int calls : kCalls) {
      if (diamond_only && calls > 4) break;
      std::printf("| %.1f | %d |", t, calls);
      auto fid = [&](const torch::Tensor& z) { return assess_images(scene.classifier, z, test_features).fid; };
      at::Generator gen = make_generator(11);
      if (calls <= 4) std::printf(" %.1f |", fid(map.posterior_sample(x, full_times(kImages, t), gen, calls)));
      else std::printf(" |");
      if (diamond_only) {
        std::printf(" | |\n");
        continue;
      }
      gen = make_generator(11);
      GlassTransition glass(scene.model, pc3(calls));
      std::printf(" %.1f |", fid(glass.step(x, full_times(1, t), full_times(1, 1.0), gen).x));
      gen = make_generator(11);
      std::printf(" %.1f |\n", fid(ddpm_posterior(scene.model, x, t, calls, gen)));
      std::fflush(stdout);
    }
  }
}

double pearson(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a - a.mean(), y = b - b.mean();
  return ((x * y).sum() / (x.norm() * y.norm())).item<double>();
}

void value_correlation(Scene& scene, const std::shared_ptr<DiamondMap>& map) {
  constexpr int64_t kImages = 64;
  const torch::Tensor clean = scene.test.images.slice(0, 0, kImages);
  const int64_t label = 0;  // T-shirt/top
  ClassifierReward reward(scene.classifier, label);
  std::printf(
      "\n### Value estimates of log p(class %lld | z) for %lld test images noised to t: correlation with 64 x "
      "GLASS-16 samples\n\n| t | estimator | calls | Pearson r |\n|---|---|---|---|\n",
      static_cast<long long>(label), static_cast<long long>(kImages));
  for (double t : kTimes) {
    const torch::Tensor x = scene.noisy(clean, t), ts = full_times(kImages, t);
    auto estimate = [&](int samples, PosteriorSamplerPtr sampler, int inner_steps) {
      ValueOptions o;
      o.samples = samples;
      o.inner_steps = inner_steps;
      o.solver = InnerSolver::Pc3;
      o.sampler = std::move(sampler);
      at::Generator gen = make_generator(static_cast<uint64_t>(samples) * 1009 + inner_steps);
      return estimate_value(scene.model, reward, x, ts, 1.0, o, gen).value;
    };
    const torch::Tensor truth = estimate(64, nullptr, 16);
    auto diamond = std::make_shared<DiamondPosteriorSampler>(map);
    for (int n : {1, 4, 16})
      std::printf("| %.1f | Diamond, %d samples | %d | %.3f |\n", t, n, n, pearson(estimate(n, diamond, 1), truth));
    for (int n : {1, 4})
      std::printf("| %.1f | GLASS-4, %d samples | %d | %.3f |\n", t, n, 4 * n, pearson(estimate(n, nullptr, 4), truth));
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();  // as the CLI does: no page faults for every freed batch
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_diamond_fashion MAP_DIR [--values]\n");
    return 2;
  }
  try {
    Scene scene;
    auto map = std::make_shared<DiamondMap>(load_diamond_map(argv[1], scene.model));
    bool values = false, diamond_only = false;
    for (int i = 2; i < argc; ++i) {
      values = values || std::strcmp(argv[i], "--values") == 0;
      diamond_only = diamond_only || std::strcmp(argv[i], "--diamond-only") == 0;
    }
    posterior_fid(scene, *map, diamond_only);
    if (values) value_correlation(scene, map);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_diamond_fashion: %s\n", e.what());
    return 1;
  }
  return 0;
}
