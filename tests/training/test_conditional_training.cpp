// Class-conditional U-Nets: initialised from an unconditional network they start as it; trained
// with label dropout they learn each class and, under the null label, the unconditional mixture
// that classifier-free guidance needs; the model file runs CFG against the null label by itself.
#include <gtest/gtest.h>

#include <filesystem>

#include "glass/models/model_file.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/training/flow_matching_trainer.h"
#include "glass/transitions/ode_transition.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) { return test::scratch_dir("glass_test_conditional", name); }

NativeNetConfig small_unet(int64_t classes) {
  NativeNetConfig c;
  c.arch = "unet";
  c.sample_shape = {1, 8, 8};
  c.width = 8;
  c.classes = classes;
  return c;
}

TEST(ConditionalUnet, StartsAsTheUnconditionalNetworkItIsInitialisedFrom) {
  torch::manual_seed(1);
  NativeNet plain = make_native_net(small_unet(0));
  torch::manual_seed(2);
  NativeNet conditional = make_native_net(small_unet(3));
  copy_weights_from(*conditional.module, *plain.module, "the unconditional U-Net");
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({4, 1, 8, 8}), t = torch::rand({4});
  const torch::Tensor expected = plain.forward(x, t);
  EXPECT_TRUE(torch::equal(conditional.forward(x, t), expected));  // the null label
  for (int64_t label = 0; label <= 3; ++label)
    EXPECT_TRUE(torch::equal(conditional.forward_labelled(x, t, torch::full({4}, label, torch::kInt64)), expected))
        << "label " << label;
  // The other way round, the embedding has nowhere to go.
  EXPECT_THROW(copy_weights_from(*plain.module, *conditional.module, "the conditional U-Net"), std::invalid_argument);
}

TEST(ConditionalUnet, RefusesWhatItCannotTake) {
  NativeNetwork conditional(make_native_net(small_unet(3)), "conditional");
  NativeNetwork plain(make_native_net(small_unet(0)), "plain");
  const torch::Tensor x = torch::randn({2, 1, 8, 8}), t = torch::rand({2});
  EXPECT_THROW(conditional.forward_conditioned(x, t, {torch::full({1}, 4, torch::kInt64)}), std::invalid_argument);
  EXPECT_THROW(conditional.forward_conditioned(x, t, {torch::full({1}, -1, torch::kInt64)}), std::invalid_argument);
  EXPECT_THROW(conditional.forward_conditioned(x, t, {torch::ones({1})}), std::invalid_argument);
  EXPECT_THROW(conditional.forward_conditioned(x, t, {torch::zeros({3}, torch::kInt64)}), std::invalid_argument);
  EXPECT_THROW(plain.forward_conditioned(x, t, {torch::zeros({1}, torch::kInt64)}), std::invalid_argument);
  EXPECT_NO_THROW(conditional.forward_conditioned(x, t, {torch::full({1}, 3, torch::kInt64)}));
}

// Two classes of constant images, -0.6 and +0.6 (plus a little noise), in equal shares.
LabelledBatch two_levels(int64_t batch, at::Generator& gen) {
  const torch::Tensor labels = at::randint(2, {batch}, gen, torch::kInt64);
  const torch::Tensor level = (labels.to(torch::kFloat32) * 1.2 - 0.6).reshape({batch, 1, 1, 1});
  return {level + 0.05 * at::randn({batch, 1, 8, 8}, gen), labels};
}

// Mean pixel of each sample drawn with the given conditioning.
torch::Tensor sample_means(const std::string& model, const Conditioning& c, int64_t n, NetworkCost* cost = nullptr) {
  ModelOverrides o;
  o.conditioning = c;
  LoadedModelFile m = load_model_file(model, o);
  OdeTransition ode(*m.model, OdeMethod::Heun);
  at::Generator gen = make_generator(5);
  const torch::Tensor x = run_chain(ode, prior_noise(n, {1, 8, 8}, gen), uniform_grid(10), gen).x;
  if (cost) *cost = m.model->cost();
  return x.mean({1, 2, 3});
}

TEST(ConditionalTraining, LearnsEachClassAndUnderTheNullLabelTheMixture) {
  const fs::path dir = scratch("levels");
  TrainOptions o;
  o.steps = 400;
  o.batch = 64;
  o.learning_rate = 3e-3;
  o.warmup = 20;
  o.ema_decay = 0.98;
  o.checkpoint_every = 400;
  o.label_dropout = 0.2;
  o.progress = false;
  train_flow_matching(small_unet(2), two_levels, o, dir.string());
  const std::string model = (dir / "model.json").string();
  const int64_t n = 200;
  const torch::Tensor low = sample_means(model, {{torch::zeros({1}, torch::kInt64)}, {}, {}}, n);
  const torch::Tensor high = sample_means(model, {{torch::ones({1}, torch::kInt64)}, {}, {}}, n);
  const torch::Tensor mixture = sample_means(model, {}, n);  // the null label
  // Each class's samples sit at its level; the null label's at either level, in about equal
  // shares (binomial: 200 draws of 1/2 have a standard deviation of 0.035 in the share).
  const auto share = [](const torch::Tensor& mask) { return mask.to(torch::kFloat64).mean().item<double>(); };
  const double low_at_level = share(low < -0.3), high_at_level = share(high > 0.3);
  const double share_high = share(mixture > 0), share_at_a_level = share(mixture.abs() > 0.3);
  SCOPED_TRACE(::testing::Message() << "class 0 at its level " << low_at_level << ", class 1 " << high_at_level
                                    << "; null label: share high " << share_high << ", at a level "
                                    << share_at_a_level);
  EXPECT_GT(low_at_level, 0.95);
  EXPECT_GT(high_at_level, 0.95);
  EXPECT_NEAR(share_high, 0.5, 0.15);
  EXPECT_GT(share_at_a_level, 0.9);

  // Classifier-free guidance against the null label by default: one call of 2N rows per step, and
  // with w = 2 the samples overshoot the class's level away from the other (D_u + 2 (D_c - D_u)).
  NetworkCost cost;
  const torch::Tensor guided = sample_means(model, {{torch::ones({1}, torch::kInt64)}, {}, 2.0}, n, &cost);
  EXPECT_EQ(cost.rows, 2 * cost.calls * n);
  EXPECT_GT(share(guided > 0.3), 0.95);
  EXPECT_GT(guided.mean().item<double>(), high.mean().item<double>() + 0.03)
      << "guided " << guided.mean().item<double>() << ", conditional " << high.mean().item<double>();
}

}  // namespace
