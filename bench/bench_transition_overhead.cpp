// Sampler overhead: the time of one GLASS transition per network call, against one bare network
// call at the same batch size. Everything but the network is overhead; the goal is a ratio near 1.
#include <torch/torch.h>

#include <benchmark/benchmark.h>
#include <chrono>

#include "glass/models/mlp_network.h"
#include "glass/models/native_net.h"
#include "glass/models/network_flow_model.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace {

constexpr int kInnerSteps = 10;

std::shared_ptr<glass::MlpNetwork> make_mlp() {
  torch::manual_seed(0);
  return std::make_shared<glass::MlpNetwork>(glass::Mlp(glass::MlpOptions{}));
}

void BM_BareNetworkCall(benchmark::State& state) {
  const int64_t batch = state.range(0);
  auto net = make_mlp();
  const torch::Tensor x = torch::randn({batch, 2}), t = torch::full({batch}, 0.5f);
  for (auto _ : state) benchmark::DoNotOptimize(net->forward(x, t));
  state.SetItemsProcessed(state.iterations() * batch);
}

std::shared_ptr<glass::NativeNetwork> make_unet() {
  torch::manual_seed(0);
  glass::NativeNetConfig config;  // the shipped architecture: U-Net, 32 base channels, [1, 28, 28]
  return std::make_shared<glass::NativeNetwork>(glass::make_native_net(config), "unet");
}

// One GLASS transition (M inner steps) against M bare network calls, interleaved in every
// iteration, in alternating order, so that both see the same machine state: the counter
// `overhead_ratio` is the side-by-side ratio of their summed times (1.00 = no overhead).
void glass_overhead_ratio(benchmark::State& state, const glass::NetworkPtr& net, std::vector<int64_t> shape,
                          glass::InnerSolver solver) {
  using clock = std::chrono::steady_clock;
  torch::set_num_threads(2);  // both cores of the benchmark machine, as the CLI uses by default
  const int64_t batch = state.range(0);
  glass::NetworkFlowModel model(net, glass::make_schedule("condot"), {});
  glass::GlassOptions options{glass::RhoSchedule::constant(0.4), kInnerSteps, 1.0};
  options.solver = solver;
  glass::GlassTransition kernel(model, options);
  at::Generator gen = glass::make_generator(0);
  shape.insert(shape.begin(), batch);
  const torch::Tensor x = torch::randn(shape), t_net = torch::full({batch}, 0.5f);
  const torch::Tensor t = glass::full_times(1, 0.3), tn = glass::full_times(1, 0.7);
  double bare = 0.0, glass_time = 0.0;
  bool glass_first = false;
  for (auto _ : state) {
    // Alternate which of the two runs first (A B, B A, ...) so that neither always inherits the
    // caches, allocator state or clock of the other.
    double bare_s = 0.0, glass_s = 0.0;
    for (int half = 0; half < 2; ++half) {
      const bool run_glass = (half == 0) == glass_first;
      const auto t0 = clock::now();
      if (run_glass) {
        benchmark::DoNotOptimize(kernel.step(x, t, tn, gen));
      } else {
        for (int j = 0; j < kInnerSteps; ++j) benchmark::DoNotOptimize(net->forward(x, t_net));
      }
      (run_glass ? glass_s : bare_s) = std::chrono::duration<double>(clock::now() - t0).count();
    }
    glass_first = !glass_first;
    bare += bare_s;
    glass_time += glass_s;
    state.SetIterationTime(glass_s);
  }
  const double calls = static_cast<double>(state.iterations()) * kInnerSteps;
  state.counters["bare_us_per_call"] = 1e6 * bare / calls;
  state.counters["glass_us_per_call"] = 1e6 * glass_time / calls;
  state.counters["overhead_ratio"] = glass_time / bare;
}

// Second argument: the inner solver (0 euler, 1 pc3).
void BM_GlassOverheadRatio(benchmark::State& state) {
  glass_overhead_ratio(state, make_mlp(), {2},
                       state.range(1) == 0 ? glass::InnerSolver::Euler : glass::InnerSolver::Pc3);
}
void BM_GlassOverheadRatioUnet(benchmark::State& state) {
  glass_overhead_ratio(state, make_unet(), {1, 28, 28}, glass::InnerSolver::Pc3);
}

// Images per second of one U-Net call; second argument: threads.
void BM_UnetCall(benchmark::State& state) {
  const int64_t batch = state.range(0);
  torch::set_num_threads(static_cast<int>(state.range(1)));
  auto net = make_unet();
  const torch::Tensor x = torch::randn({batch, 1, 28, 28}), t = torch::full({batch}, 0.5f);
  for (auto _ : state) benchmark::DoNotOptimize(net->forward(x, t));
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
  torch::set_num_threads(2);
}

// The same with weights and input in channels-last memory format (NHWC), oneDNN's preference.
void BM_UnetCallChannelsLast(benchmark::State& state) {
  const int64_t batch = state.range(0);
  torch::set_num_threads(2);
  torch::manual_seed(0);
  glass::NativeNet net = glass::make_native_net(glass::NativeNetConfig{});
  for (auto& p : net.module->parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  glass::NativeNetwork network(std::move(net), "unet");
  const torch::Tensor x = torch::randn({batch, 1, 28, 28}).contiguous(torch::MemoryFormat::ChannelsLast);
  const torch::Tensor t = torch::full({batch}, 0.5f);
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(network.forward(x, t));
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}

void BM_DdpmPerNetworkCall(benchmark::State& state) {
  const int64_t batch = state.range(0);
  glass::NetworkFlowModel model(make_mlp(), glass::make_schedule("condot"), {});
  glass::DdpmTransition kernel(model);
  at::Generator gen = glass::make_generator(0);
  const torch::Tensor x = torch::randn({batch, 2});
  const torch::Tensor t = glass::full_times(1, 0.3), tn = glass::full_times(1, 0.7);
  for (auto _ : state) benchmark::DoNotOptimize(kernel.step(x, t, tn, gen));
  state.SetItemsProcessed(state.iterations() * batch);
}

}  // namespace

BENCHMARK(BM_BareNetworkCall)->Arg(64)->Arg(1024)->Arg(8192)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_GlassOverheadRatio)
    ->ArgsProduct({{64, 1024, 8192}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseManualTime();
BENCHMARK(BM_GlassOverheadRatioUnet)->Arg(1)->Arg(16)->Arg(128)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(BM_UnetCall)->ArgsProduct({{1, 16, 64, 256}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_UnetCallChannelsLast)->Arg(16)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DdpmPerNetworkCall)->Arg(64)->Arg(1024)->Arg(8192)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
