// Sharded runs in one process: ranks are threads that meet over c10d/Gloo on loopback, as
// processes launched by torchrun do (tests/distributed/test_launch.py runs the processes).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <netinet/in.h>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "glass/alignment/best_of_n.h"
#include "glass/alignment/smc.h"
#include "glass/diamond/diamond_map.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/distributed/gloo_communicator.h"
#include "glass/distributed/row_routing.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/mixture_fit.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/random.h"
#include "smc_scene.h"
#include "test_helpers.h"

using namespace glass;
using namespace std::chrono_literals;

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Runs body(comm) on `world` ranks (threads), each with its own Gloo communicator; returns each
// rank's result in rank order.
template <class T>
std::vector<T> on_ranks(int world, const std::function<T(Communicator&)>& body,
                        std::chrono::milliseconds timeout = 60s) {
  const int port = free_port();
  std::vector<std::future<T>> futures;
  for (int r = 0; r < world; ++r)
    futures.push_back(std::async(std::launch::async, [=] {
      LaunchEnvironment env;
      env.rank = r;
      env.world_size = world;
      env.master_port = port;
      CommunicatorPtr comm = connect_gloo(env, timeout);
      return body(*comm);
    }));
  std::vector<T> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

const torch::Tensor& kCenter = test::kSmcRewardCenter;
constexpr double kKappa = test::kSmcRewardKappa;
using Scene = test::SmcScene;

SmcOptions smc_options(int64_t particles, IntermediateReward intermediate = IntermediateReward::Denoised) {
  SmcOptions o;
  o.particles = particles;
  o.ess_threshold = 0.7;
  o.intermediate = intermediate;
  o.value = ValueOptions{3, 3};
  return o;
}

void expect_same_smc(const SmcResult& a, const SmcResult& b, const std::string& what) {
  EXPECT_TRUE(torch::equal(a.samples, b.samples)) << what;
  EXPECT_TRUE(torch::equal(a.particles, b.particles)) << what;
  EXPECT_TRUE(torch::equal(a.log_weights, b.log_weights)) << what;
  EXPECT_EQ(a.log_z, b.log_z) << what;
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (size_t k = 0; k < a.steps.size(); ++k) {
    EXPECT_EQ(a.steps[k].resampled, b.steps[k].resampled) << what << " step " << k;
    EXPECT_EQ(a.steps[k].surviving_lineages, b.steps[k].surviving_lineages) << what << " step " << k;
    EXPECT_TRUE(torch::equal(a.steps[k].rewards, b.steps[k].rewards)) << what << " step " << k;
  }
  EXPECT_EQ(a.cost.network_rows, b.cost.network_rows) << what;
  EXPECT_EQ(a.cost.network_calls, b.cost.network_calls) << what;
  EXPECT_EQ(a.cost.reward_rows, b.cost.reward_rows) << what;
}

}  // namespace

// Uneven gathers and routed rows against direct indexing of the whole population.
TEST(GlooCommunicator, GathersAndRoutesRowsAsIndexingTheWholePopulation) {
  const int world = 3;
  const ShardLayout layout(23, 3, world);  // 8 blocks: 2, 3, 3 of them (6, 9, 8 rows)
  at::Generator gen = make_generator(4);
  const torch::Tensor whole = torch::randn({23, 2, 3}, gen, torch::kFloat32);
  const torch::Tensor ancestors_t = std::get<0>(torch::randint(0, 23, {23}, gen, torch::kInt64).sort());
  const std::vector<int64_t> ancestors(ancestors_t.data_ptr<int64_t>(), ancestors_t.data_ptr<int64_t>() + 23);
  // Foreign rows each rank needs, counted once per rank: what the route must move.
  int64_t expected_moved = 0;
  for (int r = 0; r < world; ++r) {
    std::set<int64_t> foreign;
    for (int64_t i = layout.begin(r); i < layout.end(r); ++i)
      if (layout.owner(ancestors[static_cast<size_t>(i)]) != r) foreign.insert(ancestors[static_cast<size_t>(i)]);
    expected_moved += static_cast<int64_t>(foreign.size());
  }
  const auto results = on_ranks<std::vector<torch::Tensor>>(world, [&](Communicator& comm) {
    const ShardedPopulation pop(comm, 23, 3);
    const torch::Tensor mine = whole.narrow(0, pop.begin(), pop.count()).clone();
    const RowRoute route = pop.reindex_route(ancestors);
    EXPECT_EQ(route.rows_moved(), expected_moved);
    std::vector<int64_t> some{22, 0, 7, 7};
    return std::vector<torch::Tensor>{pop.gather_everywhere(mine), route.fetch(comm, mine), pop.to_root(mine, some),
                                      torch::tensor({comm.stats().bytes_sent})};
  });
  EXPECT_GT(expected_moved, 0);
  for (int r = 0; r < world; ++r) {
    const auto& got = results[static_cast<size_t>(r)];
    EXPECT_TRUE(torch::equal(got[0], whole)) << "rank " << r;
    EXPECT_TRUE(torch::equal(got[1], whole.index_select(0, ancestors_t).narrow(0, layout.begin(r), layout.count(r))))
        << "rank " << r;
    EXPECT_EQ(got[2].defined(), r == 0);
  }
  EXPECT_TRUE(torch::equal(results[0][2], whole.index_select(0, torch::tensor({22, 0, 7, 7}, torch::kInt64))));
}

// One SMC population and independent groups, split over 2 and 3 ranks, give what one process
// gives, bit for bit: samples, every particle, weights, log Z, diagnostics and costs.
TEST(ShardedSmc, AnyNumberOfRanksGivesTheSingleProcessRun) {
  const std::vector<double> grid = uniform_grid(5);
  for (IntermediateReward intermediate : {IntermediateReward::Denoised, IntermediateReward::Value}) {
    // Groups of 10 in blocks of 4: ranks hold 16 + 14 or 8 + 12 + 10 particles, so groups straddle
    // ranks and resampling moves particles between them.
    SmcOptions o = smc_options(10, intermediate);
    o.ess_threshold = 1.0;
    SingleProcess single;
    Scene s;
    const SmcResult one = run_smc_sharded(*s.model, s.kernel, s.reward, grid, 3, {2}, o, Sharding{&single, 4, 9});
    for (int world : {2, 3}) {
      const auto runs = on_ranks<SmcResult>(world, [&](Communicator& comm) {
        Scene mine;
        return run_smc_sharded(*mine.model, mine.kernel, mine.reward, grid, 3, {2}, o, Sharding{&comm, 4, 9});
      });
      const std::string what = to_string(intermediate) + ", " + std::to_string(world) + " ranks";
      expect_same_smc(one, runs[0], what);
      int64_t moved = 0;
      for (const SmcStep& st : runs[0].steps) moved += st.bytes_moved;
      EXPECT_GT(moved, 0) << what;
      for (int r = 1; r < world; ++r) {
        EXPECT_FALSE(runs[static_cast<size_t>(r)].samples.defined()) << what;
        EXPECT_EQ(runs[static_cast<size_t>(r)].log_z, one.log_z) << what;
      }
    }
  }
}

TEST(ShardedSmc, BestOfNOverRanksGivesTheSingleProcessRun) {
  const std::vector<double> grid = uniform_grid(4);
  SingleProcess single;
  Scene s;
  const BestOfNResult one = best_of_n_sharded(*s.model, s.kernel, s.reward, grid, 5, 6, {2}, Sharding{&single, 4, 2});
  const auto runs = on_ranks<BestOfNResult>(3, [&](Communicator& comm) {
    Scene mine;
    return best_of_n_sharded(*mine.model, mine.kernel, mine.reward, grid, 5, 6, {2}, Sharding{&comm, 4, 2});
  });
  EXPECT_TRUE(torch::equal(runs[0].samples, one.samples));
  EXPECT_TRUE(torch::equal(runs[2].rewards, one.rewards));
}

// With fewer blocks than ranks, the ranks without a share join every collective and change
// nothing (one group of 6 in blocks of 4 on 3 ranks: shares of 0, 4 and 2).
TEST(ShardedSmc, RanksWithoutAShareChangeNothing) {
  const std::vector<double> grid = uniform_grid(4);
  for (IntermediateReward intermediate : {IntermediateReward::Denoised, IntermediateReward::Value}) {
    SmcOptions o = smc_options(6, intermediate);
    o.ess_threshold = 1.0;
    SingleProcess single;
    Scene s;
    const SmcResult one = run_smc_sharded(*s.model, s.kernel, s.reward, grid, 1, {2}, o, Sharding{&single, 4, 3});
    const auto runs = on_ranks<SmcResult>(3, [&](Communicator& comm) {
      Scene mine;
      return run_smc_sharded(*mine.model, mine.kernel, mine.reward, grid, 1, {2}, o, Sharding{&comm, 4, 3});
    });
    expect_same_smc(one, runs[0], to_string(intermediate));
  }
  SingleProcess single;
  Scene s;
  const BestOfNResult one = best_of_n_sharded(*s.model, s.kernel, s.reward, grid, 1, 3, {2}, Sharding{&single, 4, 3});
  const auto runs = on_ranks<BestOfNResult>(3, [&](Communicator& comm) {
    Scene mine;
    return best_of_n_sharded(*mine.model, mine.kernel, mine.reward, grid, 1, 3, {2}, Sharding{&comm, 4, 3});
  });
  EXPECT_TRUE(torch::equal(runs[0].samples, one.samples));
}

// Diamond moves and one-call value estimates: the map's network in fixed chunks too, so SMC over
// them is as bit-identical across ranks (the shipped gmm2d map).
TEST(ShardedSmc, DiamondMovesAndValuesOverRanksGiveTheSingleProcessRun) {
  const std::vector<double> grid = uniform_grid(4);
  const auto run = [&](Communicator& comm) {
    Scene mine;
    auto map = std::make_shared<DiamondMap>(
        load_diamond_map(std::string(GLASS_SOURCE_DIR) + "/models/diamond-gmm2d", *mine.model));
    map->set_fixed_chunks(4);
    DiamondTransition kernel(map);
    SmcOptions o = smc_options(10, IntermediateReward::Value);
    o.ess_threshold = 1.0;
    o.value.sampler = std::make_shared<DiamondPosteriorSampler>(map);
    return run_smc_sharded(*mine.model, kernel, mine.reward, grid, 3, {2}, o, Sharding{&comm, 4, 11});
  };
  SingleProcess single;
  const SmcResult one = run(single);
  for (int world : {2, 3}) {
    const auto runs = on_ranks<SmcResult>(world, run);
    expect_same_smc(one, runs[0], "diamond, " + std::to_string(world) + " ranks");
  }
}

// Keyed noise changes which draws SMC makes, not what it targets: the single-process keyed run
// against the exact tilted mixture, as tests/alignment/test_smc.cpp checks the streamed one.
TEST(ShardedSmc, KeyedNoiseTargetsTheExactTiltedMixture) {
  Scene s;
  const auto exact = s.mixture.tilted(kKappa, kCenter, 1.0);
  SingleProcess single;
  const int64_t groups = 2000;
  const SmcResult r = run_smc_sharded(*s.model, s.kernel, s.reward, uniform_grid(5), groups, {2}, smc_options(32),
                                      Sharding{&single, 64, 21});
  at::Generator gen = make_generator(5);
  const MixtureFit fit = assess_mixture_fit(r.samples.to(torch::kFloat64), exact.mixture, gen);
  const double floor = test::noise_floor([&] { return exact.mixture.sample(groups, gen); });
  EXPECT_LT(fit.max_weight_error, 4 * std::sqrt(0.25 / groups) + 0.01);
  EXPECT_LT(fit.energy_distance, 3 * floor) << "floor " << floor;
  const torch::Tensor lz = torch::tensor(r.log_z, torch::kFloat64);
  EXPECT_NEAR((torch::logsumexp(lz, 0) - std::log(static_cast<double>(groups))).item<double>(), exact.log_z, 0.05);
}

// A rank that leaves (its process died) makes the others' next collective a one-line error
// naming the operation, at once; one that stops answering, after the timeout.
TEST(GlooCommunicator, ADeadOrSilentPeerIsAnErrorNotAHang) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto died = on_ranks<std::string>(2, [](Communicator& comm) -> std::string {
    const std::vector<int64_t> counts{1, 1};
    comm.all_gather_rows(torch::ones({1}), counts);
    if (comm.rank() == 1) return "left";  // its communicator closes its sockets on return
    std::this_thread::sleep_for(200ms);
    try {
      comm.all_gather_rows(torch::ones({1}), counts);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no error";
  });
  EXPECT_NE(died[0].find("distributed: rank 0 of 2: all-gather failed"), std::string::npos) << died[0];
  EXPECT_EQ(died[0].find('\n'), std::string::npos) << died[0];
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);

  std::promise<void> failed;
  std::shared_future<void> rank0_failed = failed.get_future().share();
  const auto t1 = std::chrono::steady_clock::now();
  const auto silent = on_ranks<std::string>(
      2,
      [&](Communicator& comm) -> std::string {
        if (comm.rank() == 1) {
          rank0_failed.wait();  // never joins the gather
          return "silent";
        }
        std::string what = "no error";
        try {
          comm.all_gather_rows(torch::ones({1}), {1, 1});
        } catch (const std::runtime_error& e) {
          what = e.what();
        }
        failed.set_value();
        return what;
      },
      2s);
  EXPECT_NE(silent[0].find("distributed: rank 0 of 2: all-gather failed"), std::string::npos) << silent[0];
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 30s);
}
