// Output files: round trips, and nothing half-written when a write fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "glass/io/atomic_file.h"
#include "glass/io/png_image.h"
#include "glass/io/tensor_files.h"

using namespace glass;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("glass_test_io_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

TEST(TensorFiles, NpyRoundTrips) {
  for (auto dtype : {torch::kFloat32, torch::kFloat64}) {
    const torch::Tensor a = torch::arange(24, dtype).reshape({2, 3, 4}) / 7.0;
    const std::string p = scratch("a.npy").string();
    write_npy(p, a);
    const torch::Tensor b = read_npy(p);
    EXPECT_EQ(b.scalar_type(), dtype);
    EXPECT_TRUE(torch::equal(a, b));
    std::ifstream in(p, std::ios::binary);
    std::string head(10, '\0');
    in.read(head.data(), 10);
    const size_t header_len = static_cast<unsigned char>(head[8]) | (static_cast<unsigned char>(head[9]) << 8);
    EXPECT_EQ((10 + header_len) % 64, 0u);  // NumPy's alignment rule
  }
  const torch::Tensor v = torch::ones({5});
  write_npy(scratch("v.npy").string(), v);
  EXPECT_EQ(read_npy(scratch("v.npy").string()).sizes(), v.sizes());
}

TEST(TensorFiles, CsvHasAHeaderAndOneRowPerSample) {
  const std::string p = scratch("a.csv").string();
  write_csv(p, torch::tensor({{1.5, -2.0}, {0.25, 3.0}}));
  std::ifstream in(p);
  std::string l1, l2, l3, l4;
  std::getline(in, l1);
  std::getline(in, l2);
  std::getline(in, l3);
  EXPECT_EQ(l1, "x0,x1");
  EXPECT_EQ(l2, "1.5,-2");
  EXPECT_EQ(l3, "0.25,3");
  EXPECT_FALSE(std::getline(in, l4));
}

TEST(AtomicFiles, AFailedWriteLeavesNoFileBehind) {
  const fs::path p = scratch("half.txt");
  fs::remove(p);
  EXPECT_THROW(write_file_atomically(p.string(),
                                     [](std::ostream& out) {
                                       out << "partial";
                                       throw std::runtime_error("boom");
                                     }),
               std::runtime_error);
  EXPECT_FALSE(fs::exists(p));
  EXPECT_FALSE(fs::exists(temporary_name(p.string())));
  // An existing file survives a failed rewrite untouched.
  write_text_atomically(p.string(), "old");
  EXPECT_THROW(write_file_atomically(p.string(), [](std::ostream&) { throw std::runtime_error("boom"); }),
               std::runtime_error);
  std::ifstream in(p);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "old");
  EXPECT_THROW(write_text_atomically("/nonexistent-dir/x.txt", "x"), std::runtime_error);
}

TEST(Png, ScatterPlotIsAValidPng) {
  const std::string p = scratch("s.png").string();
  write_png(p, scatter_plot({{torch::randn({100, 2}), {0, 0, 255}, 1.0}}, 64));
  std::ifstream in(p, std::ios::binary);
  char sig[8];
  in.read(sig, 8);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
  EXPECT_THROW(scatter_plot({{torch::randn({10, 3}), {0, 0, 0}, 1.0}}), std::invalid_argument);
}

}  // namespace
