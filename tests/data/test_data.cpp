// Data: the IDX reader on the real Fashion-MNIST files and on truncated or corrupt copies; toy sets.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "glass/data/idx_reader.h"
#include "glass/data/toy_datasets.h"
#include "glass/util/random.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

const std::string kDir = "/usr/share/datasets/fashion-mnist";

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("glass_test_data_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, n);
  gzclose(f);
  return out;
}

void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

TEST(Idx, ReadsTheRealFashionMnist) {
  const LabelledImages train = load_fashion_mnist("train", kDir);
  const LabelledImages test = load_fashion_mnist("test", kDir);
  EXPECT_EQ(train.images.sizes(), (std::vector<int64_t>{60000, 1, 28, 28}));
  EXPECT_EQ(test.images.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(test.labels.size(0), 10000);
  EXPECT_GE(train.images.min().item<float>(), -1.0f);
  EXPECT_LE(train.images.max().item<float>(), 1.0f);
  // Fashion-MNIST is balanced: 6000 training images per class.
  EXPECT_TRUE(torch::equal(torch::bincount(train.labels), torch::full({10}, 6000, torch::kInt64)));
}

TEST(Idx, PlainAndCompressedFilesGiveTheSameTensor) {
  const std::string raw = gunzip(kDir + "/t10k-labels-idx1-ubyte.gz");
  write_bytes(scratch("labels-idx1-ubyte"), raw);
  EXPECT_TRUE(
      torch::equal(read_idx(scratch("labels-idx1-ubyte").string()), read_idx(kDir + "/t10k-labels-idx1-ubyte.gz")));
}

TEST(Idx, TruncatedOrCorruptFilesAreClearErrors) {
  const std::string raw = gunzip(kDir + "/t10k-images-idx3-ubyte.gz");
  const auto expect_error = [](const fs::path& p, const std::string& needle) {
    try {
      read_idx(p.string());
      ADD_FAILURE() << p << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(p.filename().string()), std::string::npos) << "names the file: " << e.what();
    }
  };
  write_bytes(scratch("truncated-data"), raw.substr(0, raw.size() / 2));
  expect_error(scratch("truncated-data"), "truncated");
  write_bytes(scratch("truncated-header"), raw.substr(0, 10));
  expect_error(scratch("truncated-header"), "truncated");
  std::string bad_magic = raw;
  bad_magic[2] = 0x0D;  // float elements: not ours
  write_bytes(scratch("bad-magic"), bad_magic);
  expect_error(scratch("bad-magic"), "magic");
  std::string zero_dim = raw;
  zero_dim[4] = zero_dim[5] = zero_dim[6] = zero_dim[7] = 0;
  write_bytes(scratch("zero-dim"), zero_dim);
  expect_error(scratch("zero-dim"), "dimension");
  write_bytes(scratch("trailing"), raw + "xyz");
  expect_error(scratch("trailing"), "trailing");
  EXPECT_THROW(read_idx(scratch("does-not-exist").string()), std::invalid_argument);
  EXPECT_THROW(load_fashion_mnist("train", scratch("").string()), std::invalid_argument);
  EXPECT_THROW(load_fashion_mnist("validation", kDir), std::invalid_argument);
}

TEST(ToyData, SetsHaveTheirShapeAndSupport) {
  at::Generator gen = make_generator(0);
  for (const char* name : {"checkerboard", "moons", "rings"}) {
    const torch::Tensor x = sample_toy(name, 5000, gen);
    EXPECT_EQ(x.sizes(), (std::vector<int64_t>{5000, 2}));
    EXPECT_LT(x.abs().max().item<float>(), 4.5f) << name;
  }
  // Checkerboard: every point in a filled square, (floor(x/2) + floor(y/2)) even.
  const torch::Tensor c = sample_toy("checkerboard", 5000, gen);
  const torch::Tensor parity = torch::remainder(torch::floor(c.select(1, 0) / 2) + torch::floor(c.select(1, 1) / 2), 2);
  EXPECT_EQ(parity.sum().item<float>(), 0.0f);
  // Rings: radii near 1, 2, 3.
  const torch::Tensor r = sample_toy("rings", 5000, gen).norm(2, 1);
  EXPECT_LT((r - r.round()).abs().mean().item<float>(), 0.1f);
  EXPECT_THROW(sample_toy("spirals", 10, gen), std::invalid_argument);
}

}  // namespace
