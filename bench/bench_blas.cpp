// Float32 matrix products through LibTorch (which calls the system's libblas.so.3): the figure that
// decides which BLAS the setup installs. Reports GFLOP/s.
#include <torch/torch.h>

#include <benchmark/benchmark.h>

static void BM_Matmul(benchmark::State& state) {
  const int64_t n = state.range(0);
  torch::set_num_threads(static_cast<int>(state.range(1)));
  const torch::Tensor a = torch::randn({n, n}), b = torch::randn({n, n});
  for (auto _ : state) benchmark::DoNotOptimize(torch::mm(a, b));
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["threads"] = static_cast<double>(state.range(1));
}
BENCHMARK(BM_Matmul)->ArgsProduct({{256, 1024}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();

// The shape of an MLP layer on a batch of particles: [B, 256] x [256, 256].
static void BM_MlpLayer(benchmark::State& state) {
  const int64_t batch = state.range(0);
  torch::set_num_threads(static_cast<int>(state.range(1)));
  const torch::Tensor x = torch::randn({batch, 256}), w = torch::randn({256, 256});
  for (auto _ : state) benchmark::DoNotOptimize(torch::mm(x, w));
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * batch * 256 * 256 * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MlpLayer)->ArgsProduct({{64, 1024, 8192}, {1, 2}})->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
