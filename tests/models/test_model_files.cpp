// Models from disk: a TorchScript module exported by PyTorch gives the same outputs and GLASS
// samples in C++ as in Python; native networks round-trip; bad files are clear errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "glass/io/tensor_files.h"
#include "glass/models/model_file.h"
#include "glass/models/native_net.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/rewards/exported_reward.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("glass_test_models_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(TorchScript, SameOutputsAndGlassSamplesAsPython) {
  const fs::path dir = scratch("interop");
  const double t = 0.3, tn = 0.8, rho = 0.4;
  const int M = 6;
  const uint64_t seed = 17;
  at::Generator gen = make_generator(1);
  const torch::Tensor x = torch::randn({64, 2}, gen);
  at::Generator noise_gen = make_generator(seed);  // the GLASS kernel's first and only draw
  write_npy((dir / "x.npy").string(), x);
  write_npy((dir / "eps.npy").string(), randn_like_on(x, noise_gen));
  const torch::Tensor cond = torch::tensor({{0.5f, -1.0f, 2.0f}});
  write_npy((dir / "cond.npy").string(), cond);
  const std::string cmd = GLASS_PYTHON_PATH " " GLASS_SOURCE_DIR "/tests/python/torchscript_reference.py " +
                          dir.string() + " " + std::to_string(t) + " " + std::to_string(tn) + " " +
                          std::to_string(rho) + " " + std::to_string(M);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "the Python side failed (is python3-torch installed?): " << cmd;

  ModelOverrides ov;
  ov.prediction = "velocity";
  ov.time = "t";
  ov.sample_shape = std::vector<int64_t>{2};
  LoadedModelFile loaded = load_model_file((dir / "model.pt").string(), ov);
  const torch::Tensor u = loaded.model->velocity(x, full_times(1, t));
  EXPECT_TRUE(torch::allclose(u, read_npy((dir / "net_out.npy").string()), 1e-5, 1e-6));

  GlassOptions options{RhoSchedule::constant(rho), M, 1.0};
  options.solver = InnerSolver::Euler;  // the Python reference integrates with Euler
  GlassTransition kernel(*loaded.model, options);
  at::Generator step_gen = make_generator(seed);
  const torch::Tensor out = kernel.step(x, full_times(1, t), full_times(1, tn), step_gen).x;
  const torch::Tensor ref = read_npy((dir / "glass_out.npy").string());
  EXPECT_TRUE(torch::allclose(out, ref, 1e-4, 1e-4)) << "max difference " << (out - ref).abs().max().item<double>();

  // Conditioning tensors pass through to the module; batch 1 is broadcast to every particle.
  ov.conditioning.cond = {read_npy((dir / "cond.npy").string())};
  LoadedModelFile conditional = load_model_file((dir / "cond_model.pt").string(), ov);
  const torch::Tensor uc = conditional.model->velocity(x, full_times(1, t));
  EXPECT_TRUE(torch::allclose(uc, read_npy((dir / "cond_out.npy").string()), 1e-5, 1e-6));
  // A different embedding changes the output: the tensor really reaches the network.
  write_npy((dir / "cond2.npy").string(), cond * -1);
  ov.conditioning.cond = {read_npy((dir / "cond2.npy").string())};
  LoadedModelFile other = load_model_file((dir / "cond_model.pt").string(), ov);
  EXPECT_FALSE(torch::allclose(other.model->velocity(x, full_times(1, t)), uc, 1e-3, 1e-3));
  // Wrong batch size, or a model without the input: clear errors.
  write_npy((dir / "cond_bad.npy").string(), torch::zeros({5, 3}));
  ov.conditioning.cond = {read_npy((dir / "cond_bad.npy").string())};
  LoadedModelFile bad = load_model_file((dir / "cond_model.pt").string(), ov);
  EXPECT_THROW(bad.model->velocity(x, full_times(1, t)), std::invalid_argument);
  ov.conditioning.cond = {read_npy((dir / "cond.npy").string())};
  LoadedModelFile unconditional = load_model_file((dir / "model.pt").string(), ov);
  EXPECT_THROW(unconditional.model->velocity(x, full_times(1, t)), std::runtime_error);

  // A reward exported from Python gives the closed form, and its gradient.
  ExportedReward script_reward((dir / "reward.pt").string());
  QuadraticReward closed_form(1.0, torch::tensor({1.0, -1.0}));
  const torch::Tensor z = x.clone().requires_grad_(true);
  const torch::Tensor rs = script_reward(z);
  EXPECT_TRUE(torch::allclose(rs, closed_form(x), 1e-5, 1e-5));
  const torch::Tensor grad = torch::autograd::grad({rs.sum()}, {z})[0];
  EXPECT_TRUE(torch::allclose(grad, -(x - torch::tensor({1.0f, -1.0f})), 1e-5, 1e-5));
  EXPECT_THROW(script_reward(torch::zeros({3, 5})), std::runtime_error);
  EXPECT_THROW(ExportedReward((dir / "x.npy").string()), std::invalid_argument);
}

TEST(TorchScript, CorruptOrMissingFilesAreClearErrors) {
  const fs::path dir = scratch("corrupt");
  std::ofstream(dir / "bad.pt") << "this is not a zip archive";
  ModelOverrides ov;
  ov.sample_shape = std::vector<int64_t>{2};
  EXPECT_THROW(load_model_file((dir / "bad.pt").string(), ov), std::invalid_argument);
  EXPECT_THROW(load_model_file((dir / "missing.pt").string(), ov), std::invalid_argument);
  std::ofstream(dir / "model.json") << "{\"format\": \"torchscript\", ";
  EXPECT_THROW(load_model_file((dir / "model.json").string()), std::invalid_argument);
}

TEST(NativeNets, WeightsRoundTripAndMismatchesAreErrors) {
  const fs::path dir = scratch("native");
  NativeNetConfig config;
  config.arch = "mlp";
  config.sample_shape = {2};
  config.width = 32;
  config.depth = 2;
  NativeNet net = make_native_net(config);
  save_weights(*net.module, (dir / "model.pt").string());
  std::ofstream(dir / "model.json") << config.to_json().dump();

  LoadedModelFile loaded = load_model_file((dir / "model.json").string());
  EXPECT_EQ(loaded.sample_shape, std::vector<int64_t>{2});
  const torch::Tensor x = torch::randn({8, 2});
  const torch::Tensor t = torch::full({8}, 0.4f);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(loaded.model->velocity(x, t.to(torch::kFloat64)), net.forward(x, t), 1e-6, 1e-6));

  // The same weights under a sidecar claiming another architecture.
  NativeNetConfig wider = config;
  wider.width = 64;
  std::ofstream(dir / "wrong.json") << wider.to_json().dump();
  fs::copy_file(dir / "model.pt", dir / "wrong.pt");
  EXPECT_THROW(load_model_file((dir / "wrong.json").string()), std::invalid_argument);
  EXPECT_THROW(NativeNetConfig::from_json(nlohmann::json{{"arch", "resnet"}, {"sample_shape", {2}}}, "x"),
               std::invalid_argument);
}

TEST(Unet, ShapesAndTimeDependence) {
  NativeNetConfig config;  // the default: U-Net on [1, 28, 28]
  config.width = 8;
  NativeNet net = make_native_net(config);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({3, 1, 28, 28});
  const torch::Tensor a = net.forward(x, torch::full({3}, 0.1f)), b = net.forward(x, torch::full({3}, 0.9f));
  EXPECT_EQ(a.sizes(), x.sizes());
  EXPECT_FALSE(torch::allclose(a, b));
  config.sample_shape = {1, 30, 30};
  EXPECT_THROW(make_native_net(config), std::invalid_argument);
}

}  // namespace
