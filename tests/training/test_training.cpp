// Training: flow matching learns a 2-D toy law, and a resumed run equals an uninterrupted one.
#include <gtest/gtest.h>

#include <filesystem>

#include "glass/data/toy_datasets.h"
#include "glass/models/model_file.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/energy_distance.h"
#include "glass/training/flow_matching_trainer.h"
#include "glass/transitions/ode_transition.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) { return test::scratch_dir("glass_test_training", name); }

NativeNetConfig small_mlp() {
  NativeNetConfig c;
  c.arch = "mlp";
  c.sample_shape = {2};
  c.width = 64;
  c.depth = 2;
  c.data = "moons";
  return c;
}

const DataSampler kMoons = [](int64_t batch, at::Generator& gen) { return sample_toy("moons", batch, gen); };

TEST(Training, FlowMatchingLearnsTwoMoons) {
  const fs::path dir = scratch("moons");
  TrainOptions o;
  o.steps = 1500;
  o.batch = 256;
  o.learning_rate = 3e-3;
  o.warmup = 50;
  o.ema_decay = 0.99;
  o.checkpoint_every = 1500;
  o.progress = false;
  const TrainResult r = train_flow_matching(small_mlp(), kMoons, o, dir.string());
  EXPECT_EQ(r.steps_done, 1500);
  LoadedModelFile m = load_model_file((dir / "model.json").string());
  OdeTransition ode(*m.model, OdeMethod::Heun);
  at::Generator gen = make_generator(3);
  const int64_t n = 2000;
  const torch::Tensor samples = run_chain(ode, prior_noise(n, {2}, gen), uniform_grid(20), gen).x;
  const double d_model = energy_distance(samples, sample_toy("moons", n, gen));
  const double d_noise = energy_distance(prior_noise(n, {2}, gen), sample_toy("moons", n, gen));
  const double floor = energy_distance(sample_toy("moons", n, gen), sample_toy("moons", n, gen));
  SCOPED_TRACE(::testing::Message() << "model " << d_model << ", noise " << d_noise << ", floor " << floor);
  EXPECT_LT(d_model, d_noise / 10);
}

TEST(Training, ResumingGivesTheSameWeightsAsOneRun) {
  TrainOptions o;
  o.steps = 20;
  o.batch = 32;
  o.checkpoint_every = 10;
  o.progress = false;
  const fs::path once = scratch("once"), twice = scratch("twice");
  train_flow_matching(small_mlp(), kMoons, o, once.string());
  TrainOptions first = o;
  first.steps = 10;
  train_flow_matching(small_mlp(), kMoons, first, twice.string());
  TrainOptions rest = o;
  rest.resume = true;
  train_flow_matching(small_mlp(), kMoons, rest, twice.string());

  NativeNet a = make_native_net(small_mlp()), b = make_native_net(small_mlp());
  load_weights(*a.module, (once / "checkpoint" / "weights.pt").string());
  load_weights(*b.module, (twice / "checkpoint" / "weights.pt").string());
  const auto pa = a.module->parameters(), pb = b.module->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "parameter " << i;
}

TEST(Training, RejectsImpossibleSettings) {
  TrainOptions o;
  o.steps = 0;
  EXPECT_THROW(train_flow_matching(small_mlp(), kMoons, o, scratch("bad").string()), std::invalid_argument);
}

}  // namespace
