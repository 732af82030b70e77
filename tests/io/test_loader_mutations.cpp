// Every loader and parser against thousands of deterministic mutations of a valid input
// (truncations, byte flips, spliced spans, numbers replaced by huge, NaN or wrong-typed values,
// empty input): each either loads something valid or throws one glass error, one line long, that
// names the file. A crash or a hang fails the whole binary, which is the point.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <unistd.h>

#include "glass/data/idx_reader.h"
#include "glass/io/tensor_files.h"
#include "glass/models/gaussian_mixture.h"
#include "glass/models/model_file.h"
#include "glass/models/native_net.h"
#include "glass/rewards/reward_spec.h"
#include "glass/sampling/time_grid.h"
#include "glass/training/ema.h"
#include "glass/util/particle_scalars.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("glass_test_mutations_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Deterministic mutations of `valid` (the engine's raw output only: no distribution whose
// results differ between standard libraries).
class Mutator {
 public:
  Mutator(std::string valid, bool text, uint64_t seed) : valid_(std::move(valid)), text_(text), rng_(seed) {}

  std::string next() {
    const uint64_t kind = pick(text_ ? 8 : 5);
    std::string s = valid_;
    switch (kind) {
      case 0: return s.substr(0, pick(s.size()));                               // truncated
      case 1: s[pick(s.size())] ^= static_cast<char>(1 + pick(255)); return s;  // one byte flipped
      case 2:                                                                   // several bytes flipped
        for (uint64_t i = 0, n = 2 + pick(15); i < n; ++i) s[pick(s.size())] ^= static_cast<char>(1 + pick(255));
        return s;
      case 3: {  // a span removed or repeated
        const size_t a = pick(s.size()), len = 1 + pick(std::min<size_t>(64, s.size() - a));
        return pick(2) ? s.erase(a, len) : s.insert(a, s.substr(a, len));
      }
      case 4: return pick(8) == 0 ? std::string() : s.insert(pick(s.size()), random_bytes(1 + pick(16)));
      default: return replace_number(s);  // text only: a number becomes something else
    }
  }

 private:
  uint64_t pick(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  std::string random_bytes(size_t n) {
    std::string b(n, '\0');
    for (char& c : b) c = static_cast<char>(pick(256));
    return b;
  }

  std::string replace_number(std::string s) {
    static const std::vector<std::string> values{"1e999",
                                                 "-1e999",
                                                 "nan",
                                                 "NaN",
                                                 "inf",
                                                 "-inf",
                                                 "1e308",
                                                 "-1e308",
                                                 "1e-320",
                                                 "0",
                                                 "-0",
                                                 "-1",
                                                 "99999999999999999999",
                                                 "3.5",
                                                 "\"x\"",
                                                 "[]",
                                                 "{}",
                                                 "null",
                                                 "true",
                                                 "[[1,2],[3]]",
                                                 "",
                                                 "0x10"};
    std::vector<std::pair<size_t, size_t>> numbers;  // [start, length) of digit runs
    for (size_t i = 0; i < s.size();) {
      if (std::isdigit(static_cast<unsigned char>(s[i])) ||
          (s[i] == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
        size_t j = i + 1;
        while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == 'e' ||
                                s[j] == '-' || s[j] == '+'))
          ++j;
        numbers.emplace_back(i, j - i);
        i = j;
      } else {
        ++i;
      }
    }
    if (numbers.empty()) return s + values[pick(values.size())];
    const auto [at, len] = numbers[pick(numbers.size())];
    return s.replace(at, len, values[pick(values.size())]);
  }

  std::string valid_;
  bool text_;
  std::mt19937_64 rng_;
};

struct Outcome {
  int loaded = 0, refused = 0;
};

// Runs `load` on `count` mutations; a refusal must be a std::exception whose message is one line
// and contains `must_name` (the file, where there is one). `load` checks what it loaded itself.
Outcome fuzz(const std::string& what, const std::string& valid, bool text, int count,
             const std::function<void(const std::string&)>& load, const std::string& must_name = "") {
  Mutator m(valid, text, std::hash<std::string>{}(what));
  Outcome o;
  for (int i = 0; i < count; ++i) {
    const std::string input = m.next();
    try {
      load(input);
      ++o.loaded;
    } catch (const std::exception& e) {
      ++o.refused;
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << what << " mutation " << i << ": a multi-line error:\n" << msg;
      EXPECT_FALSE(msg.empty()) << what << " mutation " << i;
      if (!must_name.empty())
        EXPECT_NE(msg.find(must_name), std::string::npos) << what << " mutation " << i << ": " << msg;
      if (::testing::Test::HasFailure()) return o;  // one report, not thousands
    }
  }
  // Most mutations of a checked format must be refused; a loader that accepts anything checks nothing.
  EXPECT_GT(o.refused, count / 4) << what << ": " << o.loaded << " loaded, " << o.refused << " refused";
  return o;
}

TEST(LoaderMutations, MixtureJson) {
  const std::string valid = read_bytes(GLASS_SOURCE_DIR "/presets/gmm2d.json");
  const fs::path file = scratch("mixture") / "mixture.json";
  fuzz(
      "mixture JSON", valid, true, 3000,
      [&](const std::string& input) {
        write_bytes(file, input);
        const GaussianMixture g = GaussianMixture::from_file(file.string());
        // What loads is a valid mixture.
        EXPECT_TRUE(torch::isfinite(g.means()).all().item<bool>());
        EXPECT_TRUE((g.stds() > 0).all().item<bool>() && torch::isfinite(g.stds()).all().item<bool>());
        EXPECT_NEAR(g.weights().sum().item<double>(), 1.0, 1e-9);
        EXPECT_TRUE((g.weights() >= 0).all().item<bool>());
      },
      file.string());
}

TEST(LoaderMutations, GridAndRewardText) {
  fuzz("grid text", "0,0.2,0.45,0.7,1", true, 3000, [](const std::string& input) {
    const std::vector<double> grid = parse_grid(input);
    for (size_t i = 0; i < grid.size(); ++i) {
      EXPECT_TRUE(grid[i] >= 0.0 && grid[i] <= 1.0) << input;
      if (i > 0) EXPECT_GT(grid[i], grid[i - 1]) << input;
    }
  });
  const torch::Tensor z = torch::tensor({{0.5, -1.0}, {2.0, 3.0}});
  for (const std::string valid : {"quadratic:kappa=1:center=2,0", "box:lo=-1,-1:hi=1,1:kappa=10",
                                  "0.5*quadratic:center=1,1+1e+2*box:lo=0,0:hi=1,2"}) {
    fuzz("reward text " + valid, valid, true, 1500, [&](const std::string& input) {
      const RewardPtr r = make_reward(input, RewardContext{});
      const torch::Tensor v = (*r)(z);
      EXPECT_FALSE(torch::isnan(v).any().item<bool>()) << input;
    });
  }
}

TEST(LoaderMutations, NpyAndIdxFiles) {
  const fs::path dir = scratch("arrays");
  write_npy((dir / "valid.npy").string(), torch::randn({6, 3}, torch::kFloat64));
  const fs::path npy = dir / "m.npy";
  fuzz(
      "npy", read_bytes(dir / "valid.npy"), false, 3000,
      [&](const std::string& input) {
        write_bytes(npy, input);
        const torch::Tensor t = read_npy(npy.string());
        EXPECT_GE(t.dim(), 1);
      },
      npy.string());

  // An IDX file of 5 images of 4 x 3 pixels: magic 0x00000803, then the sizes, big-endian.
  std::string idx{'\0', '\0', '\x08', '\x03', 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 3};
  for (int i = 0; i < 60; ++i) idx.push_back(static_cast<char>(i * 4));
  const fs::path file = dir / "m.idx";
  fuzz(
      "idx", idx, false, 3000,
      [&](const std::string& input) {
        write_bytes(file, input);
        const torch::Tensor t = read_idx(file.string());
        EXPECT_EQ(t.scalar_type(), torch::kUInt8);
      },
      file.string());
  // The same through gzip (zlib's checks and glass's after them).
  write_bytes(dir / "plain.idx", idx);
  ASSERT_EQ(std::system(("gzip -kf " + (dir / "plain.idx").string()).c_str()), 0);
  const fs::path gz = dir / "m.idx.gz";
  fuzz(
      "idx.gz", read_bytes(dir / "plain.idx.gz"), false, 2000,
      [&](const std::string& input) {
        write_bytes(gz, input);
        read_idx(gz.string());
      },
      gz.string());
}

NativeNetConfig small_mlp() {
  NativeNetConfig c;
  c.arch = "mlp";
  c.sample_shape = {2};
  c.width = 16;
  c.depth = 2;
  return c;
}

TEST(LoaderMutations, ModelSidecarWeightsAndCheckpoints) {
  const fs::path dir = scratch("model");
  NativeNet net = make_native_net(small_mlp());
  save_weights(*net.module, (dir / "model.pt").string());
  const std::string sidecar = small_mlp().to_json().dump();
  const torch::Tensor x = torch::randn({4, 2});
  const auto use = [&](const fs::path& json) {
    LoadedModelFile m = load_model_file(json.string());
    torch::NoGradGuard no_grad;
    const torch::Tensor d = m.model->denoise(torch::randn({4, 2}), full_times(4, 0.5));
    EXPECT_EQ(d.sizes(), x.sizes());
  };
  fuzz(
      "model sidecar", sidecar, true, 2000,
      [&](const std::string& input) {
        write_bytes(dir / "model.json", input);
        use(dir / "model.json");
      },
      dir.string());

  // Weights, EMA and optimiser state: LibTorch archives (zip), mutated as bytes.
  write_bytes(dir / "model.json", sidecar);
  const std::string weights = read_bytes(dir / "model.pt");
  fs::copy_file(dir / "model.pt", dir / "valid.pt");
  fuzz(
      "weights", weights, false, 1500,
      [&](const std::string& input) {
        write_bytes(dir / "model.pt", input);
        use(dir / "model.json");
      },
      (dir / "model.pt").string());

  Ema ema(*net.module, 0.99);
  ema.save((dir / "ema.pt").string());
  const fs::path ema_file = dir / "ema_m.pt";
  fuzz(
      "EMA checkpoint", read_bytes(dir / "ema.pt"), false, 1500,
      [&](const std::string& input) {
        write_bytes(ema_file, input);
        ema.load(ema_file.string());
      },
      ema_file.string());
}

TEST(LoaderMutations, TorchScriptModules) {
  const fs::path dir = scratch("script");
  // torch.jit.script reads the class's source, so the exporter is a file.
  std::ofstream(dir / "export.py") << "import sys, torch\n"
                                      "class N(torch.nn.Module):\n"
                                      "    def __init__(self):\n"
                                      "        super().__init__()\n"
                                      "        self.l = torch.nn.Linear(3, 2)\n"
                                      "    def forward(self, x, t):\n"
                                      "        return self.l(torch.cat([x, t.reshape(-1, 1).to(x.dtype)], 1))\n"
                                      "torch.jit.script(N()).save(sys.argv[1])\n";
  const std::string make =
      std::string(GLASS_PYTHON_PATH) + " " + (dir / "export.py").string() + " " + (dir / "valid.pt").string();
  ASSERT_EQ(std::system(make.c_str()), 0) << "torch is needed to export the module";
  const fs::path file = dir / "m.pt";
  ModelOverrides ov;
  ov.prediction = "velocity";
  ov.time = "t";
  ov.sample_shape = std::vector<int64_t>{2};
  fuzz(
      "TorchScript", read_bytes(dir / "valid.pt"), false, 1500,
      [&](const std::string& input) {
        write_bytes(file, input);
        LoadedModelFile m = load_model_file(file.string(), ov);
        torch::NoGradGuard no_grad;
        m.model->denoise(torch::randn({4, 2}), full_times(4, 0.5));
      },
      file.string());
}

}  // namespace
