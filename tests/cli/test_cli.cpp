// The glass command end to end: outputs, the summary, and one-line errors with a non-zero exit.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

struct CliRun {
  int code;
  std::string out;  // stdout and stderr together
};

CliRun run(const std::string& args) {
  const std::string cmd = std::string(GLASS_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path scratch_path(const std::string& name) {
  return fs::temp_directory_path() / ("glass_test_cli_" + std::to_string(::getpid())) / name;
}

// An empty scratch folder of this process.
fs::path scratch(const std::string& name) {
  const fs::path dir = scratch_path(name);
  fs::remove_all(dir);
  return dir;
}

TEST(Cli, SampleWritesSamplesPictureAndSummary) {
  const fs::path out = scratch("sample");
  const CliRun r = run("sample --preset gmm2d -n 500 -K 3 -M 4 -s 1 -q -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* f : {"samples.csv", "samples.npy", "samples.png", "summary.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  std::ifstream in(out / "summary.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["nfe"], 12);
  EXPECT_EQ(j["seed"], 1);
  EXPECT_EQ(j["placement"]["device"], "cpu");
  EXPECT_EQ(j["placement"]["network_dtype"], "float32");
  EXPECT_TRUE(j.contains("wall_seconds"));
  EXPECT_TRUE(j["fit"].contains("energy_distance_to_exact"));
}

TEST(Cli, SampleRecordsTheNetworksDtype) {
  const fs::path out = scratch("sample_bf16");
  const CliRun r = run("sample --preset gmm2d -n 200 -K 2 -M 2 --dtype bf16 -q -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(out / "summary.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["placement"]["network_dtype"], "bfloat16");
}

TEST(Cli, TransitionComparesWithExactDraws) {
  const fs::path out = scratch("transition");
  const CliRun r = run("transition --preset gmm2d --x 0.5,0.2 --t 0.3 --t-next 0.7 -M 8 -n 400 -q -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(out / "summary.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["nfe"], 8);
  EXPECT_TRUE(j["exact_comparison"].contains("noise_floor_exact_vs_exact"));
}

// --eta reaches the SDE kernel (it once set only the summary's eta): at eta 0 the SDE is the
// probability-flow ODE, so every draw from one x_t lands on the same point; at eta 1 they spread.
TEST(Cli, EtaReachesTheSdeKernel) {
  for (const char* eta : {"0", "1"}) {
    const fs::path out = scratch(std::string("sde_eta_") + eta);
    const CliRun r = run("transition --preset gmm2d --x 0.5,0.2 --t 0.3 --t-next 0.7 -k sde --substeps 4 -n 20 --eta " +
                         std::string(eta) + " -q -o " + out.string());
    ASSERT_EQ(r.code, 0) << r.out;
    std::ifstream in(out / "samples.csv");
    std::string line;
    std::getline(in, line);  // header
    double lo = INFINITY, hi = -INFINITY;
    while (std::getline(in, line)) {
      const double x0 = std::stod(line.substr(0, line.find(',')));
      lo = std::min(lo, x0), hi = std::max(hi, x0);
    }
    if (std::string(eta) == "0") EXPECT_LT(hi - lo, 1e-6) << "eta 0: deterministic";
    else EXPECT_GT(hi - lo, 0.05) << "eta 1: the draws spread";
  }
}

TEST(Cli, BadInputIsAOneLineErrorAndNoOutput) {
  const fs::path dir = scratch("errors");
  fs::create_directories(dir);
  std::ofstream(dir / "bad.json") << "{\"means\": [[0, 0]], \"stds\": ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sample --no-such-flag", "no-such-flag"},
      {"sample --rho 1.0", "rho"},
      {"sample --rho 2x", "rho"},
      {"sample -M 0", "inner-steps"},
      {"sample --kernel nope", "kernel"},
      {"sample --schedule linear", "schedule"},
      {"sample --grid 0,0.6,0.4", "grid"},
      {"sample --preset nope", "preset"},
      {"sample --mixture /nonexistent.json", "cannot open"},
      {"sample --mixture " + (dir / "bad.json").string(), "malformed JSON"},
      {"transition --preset gmm2d --x 1,2,3", "--x"},
      {"transition --preset gmm2d --x 1,2 --t 0.7 --t-next 0.3", "t' > t"},
      {"", "subcommand"},
      {"sample --preset gmm2d --cond c.npy", "--cond"},
      {"sample --preset gmm2d --class 3", "--class"},
      {"train --data moons --label-dropout 0.2 --steps 1", "--label-dropout has no effect"},
      {"train --data moons --conditional --steps 1", "fashion-mnist's labels only"},
      {"sample -m " GLASS_SOURCE_DIR "/models/fashion-mnist-cond-unet/model.json --class 11 -n 2 -K 1", "0..10"},
      {"sample -m " GLASS_SOURCE_DIR "/models/fashion-mnist-unet/model.json --class 3 -n 2 -K 1", "no classes"},
      {"align --preset gmm2d --kernel ode --methods plain,smc", "deterministic"},
      {"align --preset gmm2d --methods plain,nope", "unknown method"},
      {"align --preset gmm2d -K 4 -M 4 -N 8 --max-nfe 100 --methods smc", "max-nfe"},
      {"align --preset gmm2d --reward quadratic:center=1", "dimension"},
      {"align --preset gmm2d --reward class:3:model=/nonexistent.pt", "do not exist"},
      {"align --preset gmm2d --lambda -1", "lambda"},
      {"align --preset gmm2d --guidance-window 0.7,0.2 --methods guidance", "window"},
      {"transition --preset gmm2d --x 1,2 --x-file a.npy", "exactly one start"},
      {"transition --preset gmm2d", "exactly one start"},
      {"transition --preset gmm2d --x-file /nonexistent.png", "nonexistent"},
      {"transition --preset gmm2d --test-image 0", "28 x 28"},
      {"sample --preset gmm2d --schedule ddpm:1000:nope", "beta schedule"},
      {"sample --preset gmm2d --max-batch -3", "max-batch"},
      {"sample --preset gmm2d -k ddim --eta 2", "eta"},
      {"sample --preset gmm2d --grid 0.3,0.6,1", "not N(0, I) noise"},
      {"align --preset gmm2d --grid 0.5,1 --methods plain", "not N(0, I) noise"},
      {"align --preset gmm2d -k exact --max-nfe 100 --methods best-of-n", "no network calls"},
      // Flags that would change nothing in the run are errors, not silently ignored.
      {"sample --preset gmm2d -k ode --rho 0.3", "--rho has no effect"},
      {"sample --preset gmm2d -k ddpm -M 4", "--inner-steps has no effect"},
      {"sample --preset gmm2d --eta 0.5", "--eta has no effect"},
      {"sample --preset gmm2d -k sde --inner-solver euler", "--inner-solver has no effect"},
      {"sample --preset gmm2d -k glass --diffusion constant", "--diffusion has no effect"},
      {"sample --preset gmm2d -k ddim --ode-method euler", "--ode-method has no effect"},
      {"sample --preset gmm2d --grid 0,0.5,1 -K 4", "--steps has no effect"},
      {"sample --preset gmm2d --table-spacing leading", "--table-spacing has no effect"},
      {"sample --preset gmm2d --prediction epsilon", "describe a model file"},
      {"transition --preset gmm2d --x 1,2 -k ode --substeps 4", "--substeps has no effect"},
      {"align --preset gmm2d --methods plain,best-of-n --potential max", "--potential has no effect"},
      {"align --preset gmm2d --methods smc --guidance 2", "--guidance has no effect"},
      {"align --preset gmm2d --methods smc --value-samples 8", "--value-samples has no effect"},
      {"align --preset gmm2d --methods smc --value-solver pc3", "--value-solver has no effect"},
      {"align --preset gmm2d --methods smc --intermediate value -k sde --inner-solver pc3",
       "--inner-solver has no effect"},
      {"align --preset gmm2d --methods smc --intermediate value --value-solver rk9", "--value-solver"},
      {"align --preset gmm2d --methods plain -N 4", "--particles has no effect"},
      {"align --preset gmm2d --methods plain --select all", "--select has no effect"},
      {"align --preset gmm2d --methods best-of-n --allocation vasr", "--allocation has no effect"},
      {"align --preset gmm2d --methods smc --resampling srinivasan", "--resampling"},
      {"align --preset gmm2d --methods smc --tempering-ess 1", "--tempering-ess"},
      {"align --preset gmm2d --methods smc --potential max --tempering-ess 0.5", "difference potential"},
      {"align --preset gmm2d --methods plain,smc --guidance-window 0.2,0.6", "--guidance-window has no effect"},
      {"distill --preset gmm2d --self-share 1.5", "self-share"},
      {"sample --preset gmm2d -k diamond", "needs a Diamond Map"},
      {"sample --preset gmm2d -k diamond --diamond /nonexistent", "cannot open diamond map"},
      {"sample --preset gmm2d --diamond /nonexistent", "--diamond has no effect"},
      {"align --preset gmm2d --methods smc --intermediate value --value-sampler diamond", "needs a map"},
      {"align --preset gmm2d --methods smc --value-sampler diamond", "--value-sampler has no effect"},
      {"align --preset gmm2d -k diamond --diamond /x --methods guidance", "cannot reach it"},
      {"distill --mixture /nonexistent.json", "cannot open"},
      {"distill --preset gmm16d --data moons", "data of shape"},
      {"distill -m " + std::string(GLASS_SOURCE_DIR) + "/models/fashion-mnist-unet/model.json", "give --data"},
      {"distill -m " + std::string(GLASS_SOURCE_DIR) + "/models/fashion-mnist-unet/model.json --data moons",
       "data of shape"},
      {"distill -m " + std::string(GLASS_SOURCE_DIR) +
           "/models/fashion-mnist-unet/model.json --data fashion-mnist --init /x --from-scratch",
       "contradict"},
      {"distill -m " + std::string(GLASS_SOURCE_DIR) +
           "/models/fashion-mnist-unet/model.json --data fashion-mnist --init " + std::string(GLASS_SOURCE_DIR) +
           "/models/fashion-mnist-classifier/model.json",
       "starts from a native flow U-Net"},
      {"distill --preset gmm2d --init /x", "--init starts a U-Net student"},
      // Devices and dtypes (models/placement.h): no CUDA GPU here, whatever the build.
      {"sample --preset gmm2d --device cuda", "no CUDA GPU"},
      {"align --preset gmm2d --device cuda:1", "no CUDA GPU"},
      {"sample --preset gmm2d --device tpu", "unknown device 'tpu'"},
      {"sample --preset gmm2d --device cuda:x", "GPU index"},
      {"sample --preset gmm2d --dtype int8", "unknown dtype 'int8'"},
  };
  for (const auto& [args, needle] : cases) {
    const fs::path out = dir / "out";
    fs::remove_all(out);
    const CliRun r = run(args + " -q -o " + out.string());
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.out.find(needle), std::string::npos) << args << " printed: " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << " printed: " << r.out;
    EXPECT_FALSE(fs::exists(out / "samples.csv")) << args;
    EXPECT_FALSE(fs::exists(out / "summary.json")) << args;
    EXPECT_FALSE(fs::exists(out / "plain.npy")) << args;
  }
}

// A map distilled in a few steps, then resumed: the files, the summary, and the log's resume line.
TEST(Cli, DistillWritesAMapAndResumes) {
  const fs::path dir = scratch("distill");
  const CliRun first = run(
      "distill --preset gmm2d --steps 20 --batch 64 --width 32 --depth 2 --checkpoint-every 10 -q -o " + dir.string());
  ASSERT_EQ(first.code, 0) << first.out;
  const nlohmann::json summary = nlohmann::json::parse(first.out);
  EXPECT_EQ(summary.at("steps"), 20);
  EXPECT_GT(summary.at("teacher_calls").get<int64_t>(), 0);  // one teacher call per loss per step
  EXPECT_TRUE(fs::exists(dir / "diamond.pt"));
  EXPECT_TRUE(fs::exists(dir / "diamond.json"));
  const CliRun more =
      run("distill --preset gmm2d --steps 30 --batch 64 --width 32 --depth 2 --resume -q -o " + dir.string());
  ASSERT_EQ(more.code, 0) << more.out;
  EXPECT_EQ(nlohmann::json::parse(more.out).at("steps"), 30);
  std::ifstream log(dir / "train.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("resumed at step 20"), std::string::npos) << text;
}

nlohmann::json read_summary(const fs::path& dir) {
  std::ifstream in(dir / "summary.json");
  return nlohmann::json::parse(in);
}

TEST(Cli, DistillAnImageMapFromTheFlowUnetAndSampleWithIt) {
  const std::string unet = std::string(GLASS_SOURCE_DIR) + "/models/fashion-mnist-unet/model.json";
  const fs::path dir = scratch("distill_image"), posterior = scratch("diamond_posterior");
  const CliRun d =
      run("distill -m " + unet +
          " --data fashion-mnist --steps 2 --batch 4 --self-distillation tangent-stopped -t 2 -q -o " + dir.string());
  ASSERT_EQ(d.code, 0) << d.out;
  const nlohmann::json summary = nlohmann::json::parse(d.out);
  EXPECT_EQ(summary.at("network").at("arch"), "unet");
  EXPECT_EQ(summary.at("network").at("width"), 32);  // the flow U-Net's
  EXPECT_EQ(summary.at("initialised_from"), unet);
  EXPECT_EQ(summary.at("self_distillation"), "tangent-stopped");
  const CliRun p = run("transition --test-image 3 --t 0.6 --t-next 1 -n 4 -k diamond --diamond " + dir.string() +
                       " -t 2 -q -o " + posterior.string());
  ASSERT_EQ(p.code, 0) << p.out;
  EXPECT_EQ(read_summary(posterior)["nfe"], 1);
}

TEST(Cli, AlignComparesMethodsAgainstTheExactTarget) {
  const fs::path out = scratch("align");
  const CliRun r =
      run("align --preset gmm2d -n 400 -K 4 -M 4 -N 16 --methods plain,best-of-n,smc -s 3 -q -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* f : {"align.png", "plain.npy", "best-of-n.npy", "smc.npy", "summary.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  const auto j = read_summary(out);
  ASSERT_EQ(j["methods"].size(), 3u);
  const auto& plain = j["methods"][0];
  const auto& smc = j["methods"][2];
  EXPECT_EQ(plain["nfe_per_sample"], 16);
  EXPECT_EQ(j["methods"][1]["nfe_per_sample"], 16 * 16);
  EXPECT_EQ(smc["nfe_per_sample"], 16 * (4 * 4));  // the potentials' denoiser calls are the moves' first
  EXPECT_GT(smc["reward_mean"].get<double>(), plain["reward_mean"].get<double>() + 0.5);
  // SMC's samples sit much closer to the exact tilted mixture than plain samples do.
  EXPECT_LT(smc["fit_to_exact_target"]["energy_distance"].get<double>(),
            plain["fit_to_exact_target"]["energy_distance"].get<double>() / 4);
  EXPECT_NEAR(smc["smc"]["log_z_mean"].get<double>(), j["exact_log_z"].get<double>(), 0.3);
  EXPECT_EQ(smc["smc"]["steps"].size(), 4u);
  EXPECT_EQ(smc["smc"]["steps"][0]["ess"].size(), 400u);
  EXPECT_TRUE(smc["smc"]["exact_target"].get<bool>());
}

// The shipped gmm2d Diamond Map everywhere a kernel goes: sampling, a transition judged against
// DDPM's exact one, and SMC with one-call moves and one-call value potentials.
TEST(Cli, DiamondMapAsKernelAndValueSampler) {
  const std::string map = " --diamond " + std::string(GLASS_SOURCE_DIR) + "/models/diamond-gmm2d";
  const fs::path sample = scratch("diamond_sample"), transition = scratch("diamond_transition"),
                 align = scratch("diamond_align");
  const CliRun s = run("sample --preset gmm2d -k diamond" + map + " -K 5 -n 500 -q -o " + sample.string());
  ASSERT_EQ(s.code, 0) << s.out;
  EXPECT_EQ(read_summary(sample)["nfe"], 5);
  const CliRun t = run("transition --preset gmm2d -k diamond" + map +
                       " --x 0.5,0.2 --t 0.3 --t-next 0.7 -n 400 -q -o " + transition.string());
  ASSERT_EQ(t.code, 0) << t.out;
  const auto tj = read_summary(transition);
  EXPECT_EQ(tj["nfe"], 1);
  EXPECT_EQ(tj["exact_comparison"]["rho"], "ddpm");
  EXPECT_LT(tj["exact_comparison"]["energy_distance_to_exact"].get<double>(),
            3 * tj["exact_comparison"]["noise_floor_exact_vs_exact"].get<double>() + 0.01);
  const CliRun a = run("align --preset gmm2d -k diamond" + map +
                       " --intermediate value --value-sampler diamond --value-samples 4 -N 8 -n 300 -K 5 "
                       "--methods plain,smc -q -o " +
                       align.string());
  ASSERT_EQ(a.code, 0) << a.out;
  const auto aj = read_summary(align);
  EXPECT_EQ(aj["methods"][0]["nfe_per_sample"], 5);
  EXPECT_EQ(aj["methods"][1]["nfe_per_sample"], 8 * (5 + 4 * 4));
  EXPECT_GT(aj["methods"][1]["reward_mean"].get<double>(), aj["methods"][0]["reward_mean"].get<double>() + 0.5);

  // The map as multilevel values' level 0: calls 4 x 1 + 2 x (2 + 1) per estimate.
  const fs::path multilevel = scratch("diamond_multilevel");
  const CliRun ml = run("align --preset gmm2d -k diamond" + map +
                        " --intermediate value-multilevel --value-sampler diamond --multilevel-samples 4,2 -N 4 "
                        "-n 50 -K 3 --methods smc -q -o " +
                        multilevel.string());
  ASSERT_EQ(ml.code, 0) << ml.out;
  const auto mj = read_summary(multilevel);
  EXPECT_EQ(mj["methods"][0]["nfe_per_sample"], 4 * (3 + 2 * (4 * 1 + 2 * (2 + 1))));
  EXPECT_EQ(mj["methods"][0]["smc"]["multilevel"]["level_0"].get<std::string>().rfind("diamond", 0), 0u)
      << mj["methods"][0]["smc"]["multilevel"].dump();
}

TEST(Cli, AlignFillsAnEqualComputeBudget) {
  const fs::path out = scratch("budget");
  const CliRun r =
      run("align --preset gmm2d -n 50 -K 4 -M 4 --max-nfe 200 --methods plain,best-of-n,smc -q -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = read_summary(out);
  EXPECT_EQ(j["methods"][1]["particles_per_sample"], 200 / 16);
  EXPECT_EQ(j["methods"][2]["particles_per_sample"], 200 / 16);
  for (const auto& m : j["methods"]) EXPECT_LE(m["nfe_per_sample"].get<double>(), 200.0) << m["method"];
}

// The resampling, tempering and selection flags reach the library and the summary says what ran:
// --select all returns every particle with its weight, argmax the best of each group.
TEST(Cli, AlignTakesTheSmcVariantsAndSaysWhatEachGroupReturned) {
  const fs::path all = scratch("select_all"), best = scratch("select_argmax");
  const std::string common =
      "align --preset gmm2d -n 20 -K 4 -M 4 -N 8 --methods best-of-n,smc --resampling ssp "
      "--resample-order reward --allocation vasr --tempering-ess 0.5 -l 4 -q -o ";
  const CliRun a = run(common + all.string() + " --select all");
  ASSERT_EQ(a.code, 0) << a.out;
  const auto j = read_summary(all);
  for (const auto& m : j["methods"]) {
    EXPECT_EQ(m["select"], "all") << m["method"];
    ASSERT_EQ(m["sample_weights"].size(), 20u * 8u) << m["method"];
    double first_group = 0.0;
    for (int i = 0; i < 8; ++i) first_group += m["sample_weights"][i].get<double>();
    EXPECT_NEAR(first_group, 1.0, 1e-9) << m["method"];
  }
  const auto& smc = j["methods"][1]["smc"];
  EXPECT_EQ(smc["resampling"], "ssp");
  EXPECT_EQ(smc["resample_order"], "reward");
  EXPECT_EQ(smc["allocation"], "vasr");
  EXPECT_EQ(smc["tempering_ess"], 0.5);
  EXPECT_EQ(smc["steps"].back()["lambda"][0], 4.0);
  EXPECT_TRUE(smc["exact_target"].get<bool>());
  const CliRun b = run(common + best.string() + " --select argmax");
  ASSERT_EQ(b.code, 0) << b.out;
  const auto jb = read_summary(best);
  EXPECT_EQ(jb["methods"][1]["select"], "argmax");
  EXPECT_FALSE(jb["methods"][1]["smc"]["exact_target"].get<bool>());
  EXPECT_EQ(jb["methods"][1]["rewards"].size(), 20u);
  // Without --select: best-of-N keeps its best, SMC draws.
  const fs::path plain = scratch("select_default");
  ASSERT_EQ(run("align --preset gmm2d -n 5 -K 3 -M 2 -N 4 --methods best-of-n,smc -q -o " + plain.string()).code, 0);
  const auto jp = read_summary(plain);
  EXPECT_EQ(jp["methods"][0]["select"], "argmax");
  EXPECT_EQ(jp["methods"][1]["select"], "sample");
}

// A funnel under a budget: SMC starts with more particles than best-of-N, spends what the plan
// printed before the run said, and shrinks at the stage; pruning stays within the budget; the per-step rho and
// multilevel values reach the library and summary.json.
TEST(Cli, AlignFunnelsSpendThePlannedBudget) {
  const fs::path dir = scratch("funnel");
  const CliRun r =
      run("align --preset gmm2d -n 20 -K 4 -M 4 --methods best-of-n,smc --funnel 0.5:0.5 --max-nfe 128 "
          "--rho 0.8,0.2 -o " +
          dir.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = read_summary(dir);
  const auto& bon = j["methods"][0];
  const auto& smc = j["methods"][1];
  EXPECT_EQ(j["settings"]["rho"], "0.8,0.2");
  EXPECT_EQ(smc["smc"]["funnel"], "0.5:0.5");
  const int64_t n = smc["plan"]["particles"].get<int64_t>();
  EXPECT_GT(n, bon["plan"]["particles"].get<int64_t>());  // the calls saved late buy particles early
  const std::vector<int64_t> moved{n, n, (n + 1) / 2, (n + 1) / 2};
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(smc["smc"]["steps"][k]["particles"], moved[k]) << k;
  for (const auto& m : j["methods"]) {
    EXPECT_LE(m["nfe_per_sample"].get<double>(), 128.0) << m["method"];
    EXPECT_EQ(m["nfe_per_sample"].get<double>(), m["plan"]["nfe_per_sample"].get<double>()) << m["method"];
    const std::string line = "plan: " + m["method"].get<std::string>();
    EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
  }
  const fs::path ml = scratch("multilevel");
  const std::string ml_dir = ml.string();
  // Pruning under the same budget: 1.5x the constant count at the start (8 -> 12), then never past
  // the budget: the calls left after the first step (128 - 12 x 5) pay for 6 through the rest.
  const fs::path pruned = scratch("pruned");
  const CliRun p =
      run("align --preset gmm2d -n 20 -K 4 -M 4 --methods smc --prune --max-nfe 128 -q -o " + pruned.string());
  ASSERT_EQ(p.code, 0) << p.out;
  const auto pj = read_summary(pruned);
  const auto& ps = pj["methods"][0];
  EXPECT_EQ(ps["plan"]["particles"], 12);
  EXPECT_EQ(ps["plan"]["nfe_per_sample"].get<double>(), 128.0);
  EXPECT_EQ(ps["smc"]["prune"], true);
  EXPECT_LE(ps["nfe_per_sample"].get<double>(), 128.0);
  EXPECT_EQ(ps["smc"]["steps"][0]["particles"], 12);
  for (size_t k = 1; k < 4; ++k) EXPECT_LE(ps["smc"]["steps"][k]["particles"].get<int64_t>(), 6) << k;
  const CliRun both = run("align --preset gmm2d -n 4 -K 3 --methods smc --prune --funnel 0.5:0.5 -q -o " + ml_dir);
  EXPECT_NE(both.code, 0);
  EXPECT_NE(both.out.find("pruning"), std::string::npos) << both.out;

  const CliRun v =
      run("align --preset gmm2d -n 10 -K 3 -M 2 -N 4 --methods smc --intermediate value-multilevel "
          "--multilevel-samples 4,2 -q -o " +
          ml.string());
  ASSERT_EQ(v.code, 0) << v.out;
  const auto jv = read_summary(ml);
  EXPECT_EQ(jv["methods"][0]["smc"]["multilevel"]["nfe_per_particle"], 4 * 2 + 2 * (4 + 2));
  EXPECT_EQ(jv["methods"][0]["nfe_per_sample"].get<double>(), jv["methods"][0]["plan"]["nfe_per_sample"].get<double>());
  const CliRun bad = run("align --preset gmm2d -n 4 -K 3 --methods smc --multilevel-samples 4,2 -q -o " + ml.string());
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("--multilevel-samples"), std::string::npos) << bad.out;
  const CliRun worse = run("align --preset gmm2d -n 4 -K 3 --methods smc --funnel 0.5:2 -q -o " + ml.string());
  EXPECT_NE(worse.code, 0);
  EXPECT_NE(worse.out.find("funnel"), std::string::npos) << worse.out;
}

TEST(Cli, PosteriorSamplesFromANoisedTestImageAndFromItsFile) {
  // A real test image noised to t, then posterior samples; the saved x_t given back as a file
  // gives the same draws for the same seed.
  const fs::path a = scratch("posterior_a"), b = scratch("posterior_b");
  const CliRun r = run("transition --test-image 3 --t 0.6 --t-next 1 -n 6 -M 3 -t 2 -q -o " + a.string());
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* f : {"samples.npy", "samples.png", "transition.png", "start.npy", "summary.json"})
    EXPECT_TRUE(fs::exists(a / f)) << f;
  const auto j = read_summary(a);
  EXPECT_EQ(j["nfe"], 3);
  EXPECT_LT(j["distance_to_clean"]["rms_per_draw"].get<double>(), 0.6);  // pixels span [-1, 1]
  EXPECT_EQ(j["quality"]["class_counts"].size(), 10u);
  const CliRun r2 = run("transition --x-file " + (a / "start.npy").string() +
                        " --t 0.6 --t-next 1 -n 6 -M 3 -t 2 -q -o " + b.string());
  ASSERT_EQ(r2.code, 0) << r2.out;
  std::ifstream fa(a / "samples.npy", std::ios::binary), fb(b / "samples.npy", std::ios::binary);
  const std::string da((std::istreambuf_iterator<char>(fa)), {}), db((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_EQ(da, db);
}

TEST(Cli, OneImageIsScoredWithoutAClassifierFid) {
  // One sample has no covariance: the run still succeeds, with class counts and no FID.
  const fs::path out = scratch("one_image");
  const CliRun r = run("align -n 1 -N 2 -K 2 -M 1 --methods plain,smc -t 2 -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = read_summary(out);
  for (const auto& m : j["methods"]) {
    EXPECT_EQ(m["quality"]["class_counts"].size(), 10u) << m["method"];
    EXPECT_FALSE(m["quality"].contains("classifier_fid_vs_test")) << m["method"];
    EXPECT_FALSE(m["quality"].contains("classifier_fid_vs_target_class")) << m["method"];
  }
}

TEST(Cli, HelpOnEverySubcommand) {
  for (const char* sub : {"sample", "transition", "presets", "train", "align", "distill", "experiment"}) {
    const CliRun r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("--help"), std::string::npos) << sub;
  }
}

// glass experiment NAME --quick: results.csv and summary.json agree row for row, every measured
// figure is finite and lies inside its own interval where it has one, and every plot is a PNG.
void expect_well_formed_experiment(const std::string& name, const std::string& extra, const std::string& value_column) {
  const fs::path out = scratch("experiment-" + name);
  const CliRun r = run("experiment " + name + " --quick -t 2 -q " + extra + " -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(out / "summary.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["experiment"], name);
  for (const char* key : {"command", "date", "machine", "setup", "seeds", "columns", "rows", "plots"})
    EXPECT_TRUE(j.contains(key)) << key;
  std::ifstream csv(out / "results.csv");
  std::string header, line;
  std::getline(csv, header);
  std::string joined;
  for (const auto& c : j["columns"]) joined += (joined.empty() ? "" : ",") + c.get<std::string>();
  EXPECT_EQ(header, joined);
  size_t lines = 0;
  while (std::getline(csv, line)) ++lines;
  ASSERT_GT(j["rows"].size(), 0u);
  EXPECT_EQ(lines, j["rows"].size());
  for (const auto& row : j["rows"]) {
    ASSERT_TRUE(row[value_column].is_number()) << row.dump();
    const double v = row[value_column].get<double>();
    EXPECT_TRUE(std::isfinite(v)) << row.dump();
    for (const char* lo : {"low", "reward_low"})
      if (row.contains(lo) && row[lo].is_number()) EXPECT_LE(row[lo].get<double>(), v + 1e-9) << row.dump();
    for (const char* hi : {"high", "reward_high"})
      if (row.contains(hi) && row[hi].is_number()) EXPECT_GE(row[hi].get<double>(), v - 1e-9) << row.dump();
  }
  ASSERT_GT(j["plots"].size(), 0u);
  for (const auto& p : j["plots"]) {
    std::ifstream png(out / p["file"].get<std::string>(), std::ios::binary);
    ASSERT_TRUE(png.good()) << p["file"];
    std::array<char, 8> magic{};
    png.read(magic.data(), magic.size());
    EXPECT_EQ(std::string(magic.data() + 1, 3), "PNG") << p["file"];
  }
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_EQ(e.path().filename().string().rfind(".staging", 0), std::string::npos);
}

TEST(Cli, ExperimentPosteriorQuick) { expect_well_formed_experiment("posterior", "", "value"); }
TEST(Cli, ExperimentPosteriorQuickOnAMixture) { expect_well_formed_experiment("posterior", "-m gmm2d", "value"); }
TEST(Cli, ExperimentValuesQuick) { expect_well_formed_experiment("values", "", "pearson_r"); }
TEST(Cli, ExperimentValuesQuickOnAMixture) { expect_well_formed_experiment("values", "-m gmm2d", "pearson_r"); }
TEST(Cli, ExperimentRhoQuick) { expect_well_formed_experiment("rho", "", "smc_reward"); }
TEST(Cli, ExperimentSamplingQuick) { expect_well_formed_experiment("sampling", "", "value"); }
TEST(Cli, ExperimentAlignmentQuick) { expect_well_formed_experiment("alignment", "", "reward"); }
TEST(Cli, ExperimentOverheadQuick) { expect_well_formed_experiment("overhead", "", "ratio"); }
TEST(Cli, ExperimentCfgQuick) {
  expect_well_formed_experiment("cfg", "", "reward");
  // Rows count both halves of a guided call; SMC stays within its row budget.
  std::ifstream in(scratch_path("experiment-cfg") / "summary.json");
  const auto j = nlohmann::json::parse(in);
  for (const auto& row : j["rows"]) {
    const bool guided = row["cfg"].is_number() && row["cfg"] != 0.0 && row["cfg"] != 1.0;
    EXPECT_DOUBLE_EQ(row["rows_per_sample"].get<double>(), (guided ? 2 : 1) * row["calls_per_sample"].get<double>())
        << row.dump();
    if (row["method"].get<std::string>().rfind("SMC", 0) == 0)
      EXPECT_LE(row["rows_per_sample"].get<double>(), row["budget"].get<double>()) << row.dump();
  }
}

TEST(Cli, ExperimentSweepQuick) {
  expect_well_formed_experiment("sweep", "", "reward");
  // Each method within each budget, and cost per success = calls / share where anything succeeded.
  std::ifstream in(scratch_path("experiment-sweep") / "summary.json");
  const auto j = nlohmann::json::parse(in);
  for (const auto& row : j["rows"]) {
    EXPECT_LE(row["nfe_per_sample"].get<double>(), row["budget"].get<double>()) << row.dump();
    if (row["class_share"].get<double>() > 0)
      EXPECT_NEAR(row["calls_per_success"].get<double>(),
                  row["nfe_per_sample"].get<double>() / row["class_share"].get<double>(), 1e-9);
  }
}

// On the mixture: every variant, the same calls (the funnel a few more), and the biased allocation
// said to be biased.
TEST(Cli, ExperimentResamplingQuick) {
  expect_well_formed_experiment("resampling", "", "log_z_sd");
  std::ifstream in(scratch_path("experiment-resampling") / "summary.json");
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["rows"].size(), 13u);
  const double nfe = j["rows"][0]["nfe_per_sample"].get<double>();
  for (const auto& row : j["rows"]) {
    // The funnel moves as many particles; the D_t(x_t) of those its shrink drops is never reused.
    if (row["variant"].get<std::string>().find("funnel") != std::string::npos) {
      EXPECT_GT(row["nfe_per_sample"].get<double>(), nfe) << row.dump();
      EXPECT_LT(row["nfe_per_sample"].get<double>(), 1.05 * nfe) << row.dump();
    } else {
      EXPECT_EQ(row["nfe_per_sample"].get<double>(), nfe) << row.dump();
    }
    EXPECT_EQ(row["exact_target"].get<bool>(), row["variant"] != "vasr-max-biased") << row.dump();
  }
}

// A class-conditional model from the command: the class, guidance against the null label in one
// call of 2N rows, and the summary saying which.
TEST(Cli, SampleTheConditionalModelWithGuidance) {
  const fs::path out = scratch("sample-class");
  const CliRun r = run("sample -m " GLASS_SOURCE_DIR
                       "/models/fashion-mnist-cond-unet/model.json --class 3 --cfg 2 "
                       "-k ode -K 4 -n 8 -q -o " +
                       out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(out / "summary.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["conditioning"]["class"], 3);
  EXPECT_EQ(j["conditioning"]["cfg"], 2.0);
  EXPECT_EQ(j["network_rows"].get<int64_t>(), 2 * 8 * j["nfe"].get<int64_t>()) << j.dump();
}

// A plotter that cannot run, or fails, leaves no results behind; misuse is a one-line error.
TEST(Cli, ExperimentErrorsLeaveNothingBehind) {
  const fs::path out = scratch("experiment-errors");
  CliRun r = run("experiment nonsense -o " + out.string());
  EXPECT_NE(r.code, 0);
  r = run("experiment rho -m gmm2d --quick -q -o " + out.string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("needs the Fashion-MNIST model"), std::string::npos) << r.out;
  r = run("experiment alignment --classes 12 --quick -q -o " + out.string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--classes"), std::string::npos) << r.out;
  r = run("experiment values --seeds 1,-2 --quick -q -o " + out.string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--seeds"), std::string::npos) << r.out;
  // --methods: the sweep's only, and it must name one of its methods (the error lists them).
  r = run("experiment rho --methods funnel --quick -q -o " + out.string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--methods"), std::string::npos) << r.out;
  r = run("experiment sweep --methods nosuch --quick -q -o " + out.string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("SMC-GLASS, pruned"), std::string::npos) << r.out;
  // A plot script that fails after the experiment ran: no results.csv, no summary.json, no staging.
  const fs::path script = scratch("experiment-broken-plot") / "plot.py";
  fs::create_directories(script.parent_path());
  std::ofstream(script) << "import sys\nsys.exit('broken on purpose')\n";
  ::setenv("GLASS_PLOT_SCRIPT", script.c_str(), 1);
  r = run("experiment posterior -m gmm2d --quick -q -o " + out.string());
  ::unsetenv("GLASS_PLOT_SCRIPT");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("broken on purpose"), std::string::npos) << r.out;
  EXPECT_TRUE(!fs::exists(out) || fs::is_empty(out)) << "left files in " << out;
  // No matplotlib: the error comes before any work.
  ::setenv("GLASS_PYTHON", "/nonexistent/python3", 1);
  r = run("experiment posterior --quick -q -o " + out.string());
  ::unsetenv("GLASS_PYTHON");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("matplotlib"), std::string::npos) << r.out;
  EXPECT_TRUE(!fs::exists(out) || fs::is_empty(out));
}

}  // namespace
