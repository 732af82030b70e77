// The glass command end to end: outputs, the summary, and one-line errors with a non-zero exit.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

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

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("glass_test_cli_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir;
}

TEST(Cli, SampleWritesSamplesPictureAndSummary) {
  const fs::path out = scratch("sample");
  const CliRun r = run("sample --preset gmm2d -n 500 -K 3 -M 4 -s 1 -q -o " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* f : {"samples.csv", "samples.npy", "samples.png", "summary.json"}) EXPECT_TRUE(fs::exists(out / f)) << f;
  std::ifstream in(out / "summary.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["nfe"], 12);
  EXPECT_EQ(j["seed"], 1);
  EXPECT_TRUE(j.contains("wall_seconds"));
  EXPECT_TRUE(j["fit"].contains("energy_distance_to_exact"));
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
  };
  for (const auto& [args, needle] : cases) {
    const fs::path out = dir / "out";
    fs::remove_all(out);
    const CliRun r = run(args + " -q -o " + out.string());
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.out.find(needle), std::string::npos) << args << " printed: " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << args << " printed: " << r.out;
    EXPECT_FALSE(fs::exists(out / "samples.csv")) << args;
  }
}

TEST(Cli, HelpOnEverySubcommand) {
  for (const char* sub : {"sample", "transition", "presets"}) {
    const CliRun r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("--help"), std::string::npos) << sub;
  }
}

}  // namespace
