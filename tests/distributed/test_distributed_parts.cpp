// The parts a distributed run is built from, each in one process: noise keyed by global particle
// index, the shard layout, and batch-invariant network and reward calls.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>

#include "glass/alignment/sharding.h"
#include "glass/diamond/diamond_map.h"
#include "glass/distributed/shard_layout.h"
#include "glass/models/model_file.h"
#include "glass/rewards/fixed_batch_reward.h"
#include "glass/rewards/reward_spec.h"
#include "glass/util/particle_keyed_generator.h"
#include "glass/util/random.h"

using namespace glass;

namespace {

torch::Tensor keyed_noise(uint64_t seed, int64_t first, int64_t count, std::vector<int64_t> shape, int draws = 1) {
  at::Generator gen = make_particle_keyed_generator(seed, first, count);
  torch::Tensor x;
  for (int d = 0; d < draws; ++d) x = randn(shape, gen, torch::kFloat32);
  return x;
}

}  // namespace

// A particle's noise is its own: the same whichever split of the population holds it.
TEST(ParticleKeyedGenerator, NoiseDependsOnTheGlobalIndexNotTheShard) {
  const torch::Tensor whole = keyed_noise(7, 0, 12, {12, 3, 2});
  const torch::Tensor left = keyed_noise(7, 0, 5, {5, 3, 2}), right = keyed_noise(7, 5, 7, {7, 3, 2});
  EXPECT_TRUE(torch::equal(torch::cat({left, right}), whole));
  // The second draw of a shard is the second draw of the whole, not a continuation of a stream.
  EXPECT_TRUE(torch::equal(keyed_noise(7, 5, 7, {7, 4}, 2), keyed_noise(7, 0, 12, {12, 4}, 2).narrow(0, 5, 7)));
  EXPECT_FALSE(torch::equal(keyed_noise(7, 0, 12, {12, 4}, 2), keyed_noise(7, 0, 12, {12, 4}, 1)));
  EXPECT_FALSE(torch::equal(keyed_noise(8, 0, 12, {12, 4}), keyed_noise(7, 0, 12, {12, 4})));
}

// m rows per particle are repeat_interleave's layout (a value estimate's posterior samples):
// particle i's copies are rows m i .. m i + m - 1, whatever shard holds it.
TEST(ParticleKeyedGenerator, CopiesOfAParticleAreKeyedByParticleAndCopy) {
  const torch::Tensor whole = keyed_noise(3, 0, 6, {18, 2});
  EXPECT_TRUE(torch::equal(keyed_noise(3, 4, 2, {6, 2}), whole.narrow(0, 12, 6)));
  EXPECT_FALSE(torch::equal(whole[0], whole[1]));
  at::Generator gen = make_particle_keyed_generator(3, 0, 6);
  EXPECT_THROW(randn({7, 2}, gen, torch::kFloat32), std::invalid_argument);
  EXPECT_THROW(make_particle_keyed_generator(3, -1, 2), std::invalid_argument);
}

// What is not per-particle noise (resampling's uniforms, the final pick) comes from the one
// stream a plain generator of that seed has, untouched by the keyed draws: the same on every rank.
TEST(ParticleKeyedGenerator, SharedDecisionsUseThePlainStreamOfTheSeed) {
  at::Generator keyed = make_particle_keyed_generator(11, 4, 3);
  at::Generator plain = at::make_generator<at::CPUGeneratorImpl>(11);
  randn({6, 5}, keyed, torch::kFloat64);
  EXPECT_TRUE(torch::equal(at::rand({16}, keyed, torch::kFloat64), at::rand({16}, plain, torch::kFloat64)));
}

// Keyed noise is standard normal and independent across particles: mean, variance and the
// correlation of neighbouring particles within 5 standard errors of 0, 1 and 0.
TEST(ParticleKeyedGenerator, NoiseIsStandardNormalAndIndependentAcrossParticles) {
  const int64_t n = 20000;
  const torch::Tensor x = keyed_noise(5, 1000, n, {n, 2}).to(torch::kFloat64);
  const double se = 1.0 / std::sqrt(static_cast<double>(2 * n));
  EXPECT_NEAR(x.mean().item<double>(), 0.0, 5 * se);
  EXPECT_NEAR(x.var().item<double>(), 1.0, 5 * std::sqrt(2.0) * se);
  const torch::Tensor a = x.narrow(0, 0, n - 1).select(1, 0), b = x.narrow(0, 1, n - 1).select(1, 0);
  EXPECT_NEAR((a * b).mean().item<double>(), 0.0, 5.0 / std::sqrt(static_cast<double>(n)));
  // Within a particle's row too (the row's own generator): coordinate 0 against coordinate 1.
  EXPECT_NEAR((x.select(1, 0) * x.select(1, 1)).mean().item<double>(), 0.0, 5.0 / std::sqrt(static_cast<double>(n)));
}

// Shards are contiguous runs of whole blocks, balanced, covering the population once.
TEST(ShardLayout, CoversThePopulationInBalancedRunsOfWholeBlocks) {
  for (int64_t total = 1; total <= 40; ++total)
    for (int64_t block = 1; block <= 6; ++block) {
      const int64_t blocks = (total + block - 1) / block;
      for (int world = 1; world <= std::min<int64_t>(blocks, 5); ++world) {
        const ShardLayout l(total, block, world);
        EXPECT_EQ(l.begin(0), 0);
        EXPECT_EQ(l.end(world - 1), total);
        int64_t fewest = total, most = 0;
        for (int r = 0; r < world; ++r) {
          EXPECT_EQ(l.begin(r) % block, 0) << total << " " << block << " " << world;
          if (r > 0) EXPECT_EQ(l.begin(r), l.end(r - 1));
          EXPECT_GE(l.count(r), 1);
          fewest = std::min(fewest, l.count(r));
          most = std::max(most, l.count(r));
          for (int64_t i = l.begin(r); i < l.end(r); ++i) ASSERT_EQ(l.owner(i), r) << i;
        }
        EXPECT_LE(most - fewest, block) << total << " " << block << " " << world;
      }
    }
  EXPECT_EQ(ShardLayout(10, 4, 4).counts(), (std::vector<int64_t>{0, 4, 4, 2}));  // 3 blocks, 4 ranks: one holds none
  EXPECT_THROW(ShardLayout(0, 4, 1), std::invalid_argument);
}

// Fixed chunks make each row's network output independent of the rows beside it: any slice that
// starts on a block boundary gives bit-identical rows. (Without them the U-Net's convolutions
// differ in the last bits between batch sizes.)
TEST(BatchInvariance, FixedChunksGiveEachBlockTheSameOutputInAnyBatch) {
  LoadedModelFile f = load_model_file(std::string(GLASS_SOURCE_DIR) + "/models/fashion-mnist-unet/model.json");
  torch::NoGradGuard no_grad;
  at::Generator gen = make_generator(0);
  const torch::Tensor x = randn({20, 1, 28, 28}, gen, torch::kFloat32);
  const torch::Tensor t = torch::rand({20}, gen, torch::kFloat64);
  f.model->set_fixed_chunks(4);
  const torch::Tensor whole = f.model->denoise(x, t);
  for (auto [begin, len] : {std::pair<int64_t, int64_t>{0, 4}, {4, 12}, {8, 3}, {16, 4}, {12, 8}})
    EXPECT_TRUE(
        torch::equal(f.model->denoise(x.narrow(0, begin, len), t.narrow(0, begin, len)), whole.narrow(0, begin, len)))
        << begin << "+" << len;
  EXPECT_EQ(f.model->cost().rows, 20 + 4 + 12 + 3 + 4 + 8);  // padding rows are not compute the user asked for
}

// The Diamond map's network (here the Fashion-MNIST map's U-Net) the same way: each block's jump
// is the same whatever rows travel with it, and each jump is still one call on the model.
TEST(BatchInvariance, DiamondMapFixedChunksGiveEachBlockTheSameJumpInAnyBatch) {
  LoadedModelFile f = load_model_file(std::string(GLASS_SOURCE_DIR) + "/models/fashion-mnist-unet/model.json");
  DiamondMap map = load_diamond_map(std::string(GLASS_SOURCE_DIR) + "/models/diamond-fashion-mnist", *f.model);
  map.set_fixed_chunks(4);
  torch::NoGradGuard no_grad;
  at::Generator gen = make_generator(2);
  const torch::Tensor x = randn({14, 1, 28, 28}, gen, torch::kFloat32);
  const torch::Tensor xbar = randn({14, 1, 28, 28}, gen, torch::kFloat32);
  const torch::Tensor t_tensor = torch::rand({14}, gen, torch::kFloat64) * 0.9;
  const std::vector<double> t(t_tensor.data_ptr<double>(), t_tensor.data_ptr<double>() + 14);
  const auto jump_rows = [&](int64_t begin, int64_t len) {
    return map.jump(xbar.narrow(0, begin, len), x.narrow(0, begin, len),
                    std::vector<double>(t.begin() + begin, t.begin() + begin + len), std::vector<double>(len, 0.0),
                    std::vector<double>(len, 0.5));
  };
  const torch::Tensor whole = jump_rows(0, 14);
  for (auto [begin, len] : {std::pair<int64_t, int64_t>{4, 10}, {12, 2}, {0, 5}})
    EXPECT_TRUE(torch::equal(jump_rows(begin, len), whole.narrow(0, begin, len))) << begin << "+" << len;
  EXPECT_EQ(f.model->cost().calls, 4);
  EXPECT_EQ(f.model->cost().rows, 14 + 10 + 2 + 5);  // padding rows are not counted
  EXPECT_THROW(map.set_fixed_chunks(-1), std::invalid_argument);
}

// One call for all three: the model's chunks, the map's and the reward's, each then giving a block
// the same result whatever else is in the batch.
TEST(BatchInvariance, OneCallMakesTheModelMapAndRewardInvariant) {
  LoadedModelFile f = load_model_file(std::string(GLASS_SOURCE_DIR) + "/models/fashion-mnist-unet/model.json");
  DiamondMap map = load_diamond_map(std::string(GLASS_SOURCE_DIR) + "/models/diamond-fashion-mnist", *f.model);
  const RewardPtr classifier = make_reward(
      "class:3", RewardContext{std::string(GLASS_SOURCE_DIR) + "/models/fashion-mnist-classifier/model.json"});
  const RewardPtr reward = make_batch_invariant(4, f.model.get(), classifier, &map);
  EXPECT_EQ(f.model->max_batch(), 4);
  torch::NoGradGuard no_grad;
  at::Generator gen = make_generator(3);
  const torch::Tensor x = randn({10, 1, 28, 28}, gen, torch::kFloat32);
  const torch::Tensor t = torch::full({10}, 0.4, torch::kFloat64);
  EXPECT_TRUE(
      torch::equal(f.model->denoise(x.narrow(0, 4, 6), t.narrow(0, 4, 6)), f.model->denoise(x, t).narrow(0, 4, 6)));
  EXPECT_TRUE(torch::equal((*reward)(x.narrow(0, 8, 2)), (*reward)(x).narrow(0, 8, 2)));
  const std::vector<double> tv(10, 0.4), s0(10, 0.0), s1(10, 0.5);
  const torch::Tensor whole = map.jump(x, x, tv, s0, s1);
  EXPECT_TRUE(torch::equal(map.jump(x.narrow(0, 4, 6), x.narrow(0, 4, 6), {tv.begin(), tv.begin() + 6},
                                    {s0.begin(), s0.begin() + 6}, {s1.begin(), s1.begin() + 6}),
                           whole.narrow(0, 4, 6)));
  EXPECT_THROW(make_batch_invariant(0, f.model.get(), classifier), std::invalid_argument);
}

TEST(BatchInvariance, FixedBatchRewardScoresEachBlockAsInAnyBatch) {
  const RewardPtr classifier = make_reward(
      "class:3", RewardContext{std::string(GLASS_SOURCE_DIR) + "/models/fashion-mnist-classifier/model.json"});
  FixedBatchReward reward(classifier, 4);
  torch::NoGradGuard no_grad;
  at::Generator gen = make_generator(1);
  const torch::Tensor z = randn({14, 1, 28, 28}, gen, torch::kFloat32);
  const torch::Tensor whole = reward(z);
  EXPECT_TRUE(torch::equal(reward(z.narrow(0, 4, 10)), whole.narrow(0, 4, 10)));
  EXPECT_TRUE(torch::equal(reward(z.narrow(0, 12, 2)), whole.narrow(0, 12, 2)));
  EXPECT_EQ(reward.cost().calls, 3);
  EXPECT_EQ(reward.name(), classifier->name());
  EXPECT_THROW(FixedBatchReward(classifier, 0), std::invalid_argument);
}
