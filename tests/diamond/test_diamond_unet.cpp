// The U-Net student for images: started from a flow U-Net it is exactly the GLASS posterior
// denoiser of that flow model, whatever s' - s; its first distillation step sees a diagonal loss of
// zero; a mismatched flow network is refused.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "glass/diamond/diamond_map.h"
#include "glass/diamond/diamond_trainer.h"
#include "glass/diamond/diamond_unet.h"
#include "glass/diamond/inner_posterior.h"
#include "glass/models/model_file.h"
#include "glass/util/random.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

// A random flow U-Net on 1 x 8 x 8 images, written as a native model file.
struct SmallFlowUnet {
  fs::path dir = fs::temp_directory_path() / ("glass_diamond_unet_" + std::to_string(::getpid()));
  NativeNetConfig config;
  SmallFlowUnet() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    config.arch = "unet";
    config.sample_shape = {1, 8, 8};
    config.width = 8;
    torch::manual_seed(3);
    NativeNet net = make_native_net(config);
    save_weights(*net.module, (dir / "model.pt").string());
    std::ofstream(dir / "model.json") << config.to_json().dump();
  }
  std::string path() const { return (dir / "model.json").string(); }
};

DiamondNetConfig student_config() {
  DiamondNetConfig c;
  c.arch = "unet";
  c.sample_shape = {1, 8, 8};
  c.width = 8;
  return c;
}

TEST(DiamondUnet, StartedFromAFlowUnetItIsThatModelsPosteriorDenoiser) {
  const SmallFlowUnet flow;
  LoadedModelFile teacher = load_model_file(flow.path());
  DiamondNet student = make_diamond_net(student_config(), teacher.model->schedule_ptr());
  at::Generator gen = make_generator(5);
  const torch::Tensor x_t = at::randn({6, 1, 8, 8}, gen), xbar = at::randn({6, 1, 8, 8}, gen);
  const std::vector<double> t{0.0, 0.1, 0.35, 0.6, 0.8, 0.95}, s{0.0, 0.5, 0.0, 0.9, 0.3, 0.99},
      ds{1.0, 0.2, 0.5, 0.05, 0.0, 0.01};
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = inner_posterior_denoiser(*teacher.model, x_t, t, xbar, s);
  const torch::Tensor random_start = student.forward(xbar, x_t, t, s, ds);
  EXPECT_GT((random_start - expected).abs().max().item<double>(), 1e-2) << "a fresh student is not the teacher";

  initialise_from_flow_unet(*student.module, student_config(), load_native_model_file(flow.path()));
  const torch::Tensor psi = student.forward(xbar, x_t, t, s, ds);
  EXPECT_TRUE(torch::allclose(psi, expected, 1e-4, 1e-5)) << (psi - expected).abs().max().item<double>();
  // The U-Net student's map is the identity at s' = s and moves xbar once s' > s.
  DiamondMap map(student, student_config(), *teacher.model);
  EXPECT_TRUE(torch::allclose(map.jump(xbar, x_t, t, s, s), xbar));
  EXPECT_FALSE(torch::allclose(map.jump(xbar, x_t, t, s, std::vector<double>(6, 1.0)), xbar));
}

TEST(DiamondUnet, DistillationFromTheFlowWeightsStartsAtZeroDiagonalLoss) {
  const SmallFlowUnet flow;
  LoadedModelFile teacher = load_model_file(flow.path());
  const DataSampler data = [](int64_t n, at::Generator& gen) { return at::rand({n, 1, 8, 8}, gen) * 2 - 1; };
  DistillOptions o;
  o.training.steps = 1;
  o.training.batch = 8;
  o.training.progress = false;
  const NativeModelFile weights = load_native_model_file(flow.path());
  const DistillResult fresh = distill_diamond(student_config(), *teacher.model, data, o, (flow.dir / "fresh").string());
  o.initialise = [&](torch::nn::Module& m) { initialise_from_flow_unet(m, student_config(), weights); };
  const DistillResult started =
      distill_diamond(student_config(), *teacher.model, data, o, (flow.dir / "warm").string());
  EXPECT_LT(started.diagonal_loss, 1e-9) << "fresh student: " << fresh.diagonal_loss;
  EXPECT_GT(fresh.diagonal_loss, 1e-3);
  // The saved map loads back as a U-Net map and gives the same jump.
  DiamondMap map = load_diamond_map((flow.dir / "warm").string(), *teacher.model);
  EXPECT_EQ(map.config().arch, "unet");
}

TEST(DiamondUnet, RefusesAFlowNetworkThatDoesNotMatch) {
  const SmallFlowUnet flow;
  LoadedModelFile teacher = load_model_file(flow.path());
  const NativeModelFile weights = load_native_model_file(flow.path());
  DiamondNetConfig wider = student_config();
  wider.width = 16;
  DiamondNet student = make_diamond_net(wider, teacher.model->schedule_ptr());
  EXPECT_THROW(initialise_from_flow_unet(*student.module, wider, weights), std::invalid_argument);
  DiamondNetConfig noise = student_config();
  noise.prediction = Prediction::Noise;
  DiamondNet other = make_diamond_net(noise, teacher.model->schedule_ptr());
  EXPECT_THROW(initialise_from_flow_unet(*other.module, noise, weights), std::invalid_argument);
  DiamondNetConfig odd = student_config();
  odd.sample_shape = {1, 9, 9};
  EXPECT_THROW(odd.validate(), std::invalid_argument);
}

}  // namespace
