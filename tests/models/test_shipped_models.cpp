// The models shipped in models/: the classifier's accuracy, the flow model's ODE samples judged by
// classifier-FID against the test set and by the classes they cover, the class-conditional
// model's classes with and without guidance, and the Fashion-MNIST
// Diamond Map's one-call posterior samples against the posterior mean.
#include <gtest/gtest.h>

#include <iostream>

#include "glass/data/idx_reader.h"
#include "glass/diamond/diamond_map.h"
#include "glass/models/model_file.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/frechet_distance.h"
#include "glass/stats/image_quality.h"
#include "glass/training/classifier_trainer.h"
#include "glass/transitions/ode_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

const std::string kModels = GLASS_SOURCE_DIR "/models";
constexpr int64_t kSamples = 256;
// Measured on 2026-11-23 for the shipped model (step 8000), 256 Heun samples (16 NFE), seed 0:
// classifier-FID 23.0 (256 real test images: 8.1; the step-2750 model gave 31.3; see
// docs/benchmarks.md). The bound leaves room for BLAS round-off, and is far below what a broken or
// untrained model gives.
constexpr double kMaxFid = 35.0;

class ShippedModels : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    torch::set_num_threads(2);
    test_ = new LabelledImages(load_fashion_mnist("test"));
  }
  static void TearDownTestSuite() { delete test_; }
  static LabelledImages* test_;
};
LabelledImages* ShippedModels::test_ = nullptr;

TEST_F(ShippedModels, ClassifierReachesNinetyPercent) {
  Classifier classifier = load_classifier(kModels + "/fashion-mnist-classifier/model.json");
  EXPECT_GE(classifier_accuracy(classifier, *test_), 0.90);
}

TEST_F(ShippedModels, OdeSamplesAreCloseToTheTestSetAndCoverEveryClass) {
  Classifier classifier = load_classifier(kModels + "/fashion-mnist-classifier/model.json");
  LoadedModelFile flow = load_model_file(kModels + "/fashion-mnist-unet/model.json");
  ASSERT_EQ(flow.sample_shape, (std::vector<int64_t>{1, 28, 28}));
  OdeTransition ode(*flow.model, OdeMethod::Heun);
  at::Generator gen = make_generator(0);
  const SampleResult r = run_chain(ode, prior_noise(kSamples, flow.sample_shape, gen), uniform_grid(8), gen);
  EXPECT_EQ(r.nfe, 16);

  const torch::Tensor reference = classifier_features(classifier, test_->images);
  const ImageQuality q = assess_images(classifier, r.x, reference);
  ASSERT_TRUE(q.fid.has_value());
  // The floor at this sample size: kSamples real test images against the whole test set.
  const torch::Tensor real =
      test_->images.index_select(0, at::randperm(10000, gen, torch::kInt64).narrow(0, 0, kSamples));
  const double floor = frechet_distance(classifier_features(classifier, real), reference);
  std::cout << "classifier-FID " << *q.fid << " (floor with " << kSamples << " real images: " << floor << ")\n";
  SCOPED_TRACE(::testing::Message() << "classifier-FID " << *q.fid << ", floor " << floor);
  EXPECT_EQ(q.classes_present, 10);
  EXPECT_LT(*q.fid, kMaxFid);
  EXPECT_GT(*q.fid, floor);  // samples are not better than real images
}

// The shipped class-conditional U-Net (fine-tuned from the unconditional one with label dropout;
// models/fashion-mnist-cond-unet/TRAINING.md). Measured on 2026-12-06, Heun 8 steps, seed 0, 256
// samples: class 3 (dress) 80% of its samples classified as dresses, class 6 (shirt, the class
// the classifier confuses most) 44% alone and 71% with CFG w = 3; the null label's samples
// classifier-FID 38.1 with all 10 classes. Bounds: 4 binomial standard deviations at 128 samples
// below the measured shares, and FID well under what a broken null label gives (hundreds).
TEST_F(ShippedModels, ConditionalModelDrawsItsClassAndGuidanceSharpensIt) {
  Classifier classifier = load_classifier(kModels + "/fashion-mnist-classifier/model.json");
  const std::string path = kModels + "/fashion-mnist-cond-unet/model.json";
  const torch::Tensor reference = classifier_features(classifier, test_->images);
  const auto share_of = [&](int64_t label, std::optional<double> cfg) {
    ModelOverrides o;
    o.conditioning = {{torch::full({1}, label, torch::kInt64)}, {}, cfg};
    LoadedModelFile flow = load_model_file(path, o);
    OdeTransition ode(*flow.model, OdeMethod::Heun);
    at::Generator gen = make_generator(0);
    const SampleResult r = run_chain(ode, prior_noise(128, flow.sample_shape, gen), uniform_grid(8), gen);
    return static_cast<double>(assess_images(classifier, r.x, reference).class_counts[label]) / 128.0;
  };
  const double dress = share_of(3, std::nullopt), shirt = share_of(6, std::nullopt), shirt_cfg = share_of(6, 3.0);
  SCOPED_TRACE(::testing::Message() << "dress " << dress << ", shirt " << shirt << ", shirt with CFG 3 " << shirt_cfg);
  EXPECT_GT(dress, 0.65);
  EXPECT_GT(shirt, 0.25);
  EXPECT_GT(shirt_cfg, shirt + 0.1);

  // Without a label: the null label's unconditional model, every class in it.
  LoadedModelFile null_label = load_model_file(path);
  OdeTransition ode(*null_label.model, OdeMethod::Heun);
  at::Generator gen = make_generator(0);
  const SampleResult r = run_chain(ode, prior_noise(kSamples, null_label.sample_shape, gen), uniform_grid(8), gen);
  const ImageQuality q = assess_images(classifier, r.x, reference);
  ASSERT_TRUE(q.fid.has_value());
  EXPECT_EQ(q.classes_present, 10);
  EXPECT_LT(*q.fid, 55.0) << "null label's classifier-FID";
}

// The shipped U-Net with its weights cast to bf16 and fp16 (NativeNetwork::place) predicts what it
// does in float32 to the dtype's precision: the denoiser of 64 noised test images at three times,
// relative RMS difference below 3% (bf16: 8 mantissa bits, ~0.4% per rounding, compounded over the
// U-Net's layers) and 1% (fp16: 11 bits), and above 1e-4 (it really ran in that dtype).
TEST_F(ShippedModels, TheUnetInReducedPrecisionPredictsWhatItDoesInFloat32) {
  LoadedModelFile reference = load_model_file(kModels + "/fashion-mnist-unet/model.json");
  const torch::Tensor clean = test_->images.narrow(0, 0, 64);
  torch::NoGradGuard no_grad;
  for (const auto& [dtype, bound] : {std::pair{torch::kBFloat16, 3e-2}, std::pair{torch::kFloat16, 1e-2}}) {
    LoadedModelFile reduced =
        load_model_file(kModels + "/fashion-mnist-unet/model.json", {}, Placement{torch::kCPU, dtype});
    at::Generator gen = make_generator(3);
    for (double t : {0.2, 0.5, 0.8}) {
      const torch::Tensor x = clean * t + randn_like_on(clean, gen) * (1.0 - t);
      const torch::Tensor d32 = reference.model->denoise(x, full_times(1, t));
      const torch::Tensor d = reduced.model->denoise(x, full_times(1, t));
      ASSERT_EQ(d.scalar_type(), torch::kFloat32);
      const double rel = ((d - d32).pow(2).mean() / d32.pow(2).mean()).sqrt().item<double>();
      EXPECT_LT(rel, bound) << dtype_name(dtype) << " t " << t;
      EXPECT_GT(rel, 1e-4) << dtype_name(dtype) << " t " << t;
    }
  }
}

// Test images noised to t = 0.2, resampled by one call of the map, against one call of the flow
// model's denoiser (the posterior mean, what one call of GLASS or DDPM returns). Measured at step
// 3000 (docs/benchmarks.md, 300 images): 65.4 against 177.9. A map that ignored its inner noise
// would give the mean's FID.
TEST_F(ShippedModels, DiamondMapsOneCallBeatsThePosteriorMean) {
  Classifier classifier = load_classifier(kModels + "/fashion-mnist-classifier/model.json");
  LoadedModelFile flow = load_model_file(kModels + "/fashion-mnist-unet/model.json");
  DiamondMap map = load_diamond_map(kModels + "/diamond-fashion-mnist", *flow.model);
  const torch::Tensor reference = classifier_features(classifier, test_->images);
  const double t = 0.2;
  const torch::Tensor clean = test_->images.narrow(0, 0, 300);
  at::Generator gen = make_generator(7);
  const torch::Tensor x = clean * t + randn_like_on(clean, gen) * (1.0 - t);
  torch::NoGradGuard no_grad;
  flow.model->reset_cost();
  const torch::Tensor z = map.posterior_sample(x, full_times(300, t), gen);
  EXPECT_EQ(flow.model->cost().calls, 1);
  const double fid = assess_images(classifier, z, reference).fid.value();
  const double mean_fid = assess_images(classifier, flow.model->denoise(x, full_times(300, t)), reference).fid.value();
  std::cout << "one-call Diamond classifier-FID " << fid << ", posterior mean " << mean_fid << "\n";
  EXPECT_LT(fid, 0.6 * mean_fid);
}

}  // namespace
