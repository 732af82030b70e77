// Devices and precisions (models/placement.h): a network in bfloat16 or float16 against the float32
// run on the exact mixture, the float32 inner state behind it, and where the network's inputs land.
#include <gtest/gtest.h>

#include "glass/models/placement.h"
#include "glass/sampling/sampler.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;

namespace {

constexpr int64_t kN = 3000;

class ReducedPrecision : public ::testing::TestWithParam<torch::ScalarType> {};

// The exact mixture denoiser behind a bf16 or fp16 boundary: its input is rounded to the dtype and
// so is its answer (8 or 11 bits of mantissa), as a network running in that dtype would be. GLASS
// (16 inner steps) from one x_t must still land on the exact transition: within 4 noise floors, as
// the float32 run does.
TEST_P(ReducedPrecision, GlassWithTheNetworkInReducedPrecisionReachesTheExactTransition) {
  const torch::ScalarType dtype = GetParam();
  for (const char* preset : {"gmm2d", "gmm16d"}) {
    const GaussianMixture g = GaussianMixture::preset(preset);
    const SchedulePtr s = make_schedule("condot");
    auto model = test::mixture_model(g, s);
    model->place(Placement{torch::kCPU, dtype});
    at::Generator gen = make_generator(4321);
    const double t = 0.3, tn = 0.7;
    const torch::Tensor x0 = g.sample_noisy(1, s->alpha(t), s->sigma(t), gen).to(torch::kFloat32);
    const torch::Tensor x = x0.reshape({1, -1}).expand({kN, x0.numel()}).contiguous();
    ExactMixtureTransition exact(g, s, RhoSchedule::constant(0.4));
    const torch::Tensor reference = exact.step(x, full_times(1, t), full_times(1, tn), gen).x;
    const double floor = test::noise_floor([&] { return exact.step(x, full_times(1, t), full_times(1, tn), gen).x; });
    GlassTransition kernel(*model, GlassOptions{RhoSchedule::constant(0.4), 16, 1.0});
    const StepResult r = kernel.step(x, full_times(1, t), full_times(1, tn), gen);
    // The particles come back in their own float32, not in the network's dtype.
    EXPECT_EQ(r.x.scalar_type(), torch::kFloat32) << preset;
    EXPECT_LT(energy_distance(r.x, reference), 4 * floor)
        << preset << " in " << dtype_name(dtype) << ", floor " << floor;
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ReducedPrecision, ::testing::Values(torch::kBFloat16, torch::kFloat16),
                         [](const auto& info) { return dtype_name(info.param); });

// A network that records the device and dtype of what it is given, and answers a zero denoiser
// (exact in every dtype) on its input's device.
class RecordingNetwork : public Network {
 public:
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timestep) override {
    x_device = x.device();
    x_dtype = x.scalar_type();
    t_dtype = timestep.scalar_type();
    return torch::zeros_like(x);
  }
  std::string describe() const override { return "recording network"; }
  torch::Device x_device = torch::kCPU;
  torch::ScalarType x_dtype = torch::kFloat64, t_dtype = torch::kFloat64;
};

// With D = 0 (exact in every dtype) the network's precision changes nothing: a bf16 network and bf16
// particles must give the float32 run's step to float32 round-off. An inner state kept in bf16 (a
// dropped cast to float32) draws and integrates in bf16 and lands ~1e-2 away.
TEST(Placement, TheInnerStateIsFloat32WhenTheNetworkAndTheParticlesAreBfloat16) {
  const SchedulePtr s = make_schedule("condot");
  auto net = std::make_shared<RecordingNetwork>();
  NetworkFlowModel model(net, s, ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  model.place(Placement{torch::kCPU, torch::kBFloat16});
  GlassTransition kernel(model, GlassOptions{RhoSchedule::constant(0.4), 8, 1.0});
  at::Generator gen_a = make_generator(5), gen_b = make_generator(5);
  const torch::Tensor x16 = torch::linspace(-3.0, 3.0, 64).reshape({32, 2}).to(torch::kBFloat16);  // a bf16 pipeline's
  const torch::Tensor out = kernel.step(x16, full_times(1, 0.3), full_times(1, 0.8), gen_a).x;
  EXPECT_EQ(net->x_dtype, torch::kBFloat16);
  EXPECT_EQ(net->t_dtype, torch::kBFloat16);
  EXPECT_EQ(out.scalar_type(), torch::kFloat32);
  // The same step with a float32 network from the same bf16-valued start in float32: the reference.
  NetworkFlowModel model32(std::make_shared<RecordingNetwork>(), s,
                           ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  GlassTransition kernel32(model32, GlassOptions{RhoSchedule::constant(0.4), 8, 1.0});
  const torch::Tensor ref = kernel32.step(x16.to(torch::kFloat32), full_times(1, 0.3), full_times(1, 0.8), gen_b).x;
  EXPECT_LT((out - ref).abs().max().item<double>(), 1e-6);
  EXPECT_GT((ref - x16.to(torch::kFloat32)).abs().max().item<double>(), 1.0);  // not vacuous: the particles moved
}

// The meta device stands in for a GPU: the network is handed its input there, in its dtype, and the
// time in the same dtype; the prediction then cannot come back (a meta tensor has no values), which
// must be the model boundary's one-line error, not a crash.
TEST(Placement, TheNetworkIsHandedItsInputOnItsDeviceInItsDtype) {
  auto net = std::make_shared<RecordingNetwork>();
  NetworkFlowModel model(net, make_schedule("condot"), ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  model.place(Placement{torch::Device(torch::kMeta), torch::kFloat16});
  EXPECT_EQ(model.device(), torch::Device(torch::kMeta));
  try {
    model.denoise(torch::ones({4, 2}), full_times(1, 0.5));
    ADD_FAILURE() << "a prediction came back from the meta device";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  EXPECT_EQ(net->x_device, torch::Device(torch::kMeta));
  EXPECT_EQ(net->x_dtype, torch::kFloat16);
  EXPECT_EQ(net->t_dtype, torch::kFloat16);
  // Unplaced, the network runs in the particles' own dtype (float64 tests keep float64).
  auto plain = std::make_shared<RecordingNetwork>();
  NetworkFlowModel unplaced(plain, make_schedule("condot"),
                            ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  unplaced.denoise(torch::ones({4, 2}, torch::kFloat64), full_times(1, 0.5));
  EXPECT_EQ(plain->x_dtype, torch::kFloat64);
}

// Starting noise is drawn on the CPU and moved: the model's device, the CPU's numbers.
TEST(Placement, PriorNoiseIsDrawnOnTheCpuAndMovedToTheModelsDevice) {
  at::Generator a = make_generator(9), b = make_generator(9);
  const torch::Tensor on_meta = prior_noise(5, {3}, a, torch::Device(torch::kMeta));
  EXPECT_EQ(on_meta.device(), torch::Device(torch::kMeta));
  EXPECT_EQ(on_meta.scalar_type(), torch::kFloat32);
  // The generator advanced exactly as a CPU draw does: the next draws agree.
  prior_noise(5, {3}, b);
  EXPECT_TRUE(torch::equal(prior_noise(2, {3}, a), prior_noise(2, {3}, b)));
}

TEST(Placement, DevicesAndDtypesParseOrSayWhy) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  EXPECT_EQ(parse_network_dtype("bf16"), torch::kBFloat16);
  EXPECT_EQ(parse_network_dtype("float16"), torch::kFloat16);
  EXPECT_EQ(parse_network_dtype("float32"), torch::kFloat32);
  EXPECT_THROW(parse_network_dtype("int8"), std::invalid_argument);
  EXPECT_THROW(parse_device("gpu"), std::invalid_argument);
  EXPECT_THROW(parse_device("cuda:-1"), std::invalid_argument);
  if (!torch::cuda::is_available()) EXPECT_THROW(parse_device("cuda"), std::invalid_argument);
  EXPECT_EQ(at_least_float32(torch::ones({2}, torch::kBFloat16)).scalar_type(), torch::kFloat32);
  EXPECT_EQ(at_least_float32(torch::ones({2}, torch::kFloat64)).scalar_type(), torch::kFloat64);
}

}  // namespace
