#include "glass/data/idx_reader.h"

#include <zlib.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace glass {

const char* const kFashionMnistClasses[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

namespace {

class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {
    if (!f_) throw std::invalid_argument("cannot open IDX file '" + path + "'");
  }
  ~GzReader() { gzclose(f_); }
  // Reads exactly n bytes or throws.
  void read(void* dst, size_t n, const char* what) {
    char* p = static_cast<char*>(dst);
    while (n > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
      const int got = gzread(f_, p, chunk);
      if (got <= 0) throw std::invalid_argument("IDX file '" + path_ + "' is truncated or corrupt (" + what + ")");
      p += got;
      n -= static_cast<size_t>(got);
    }
  }
  bool at_end() {
    char c;
    return gzread(f_, &c, 1) == 0;
  }

 private:
  std::string path_;
  gzFile f_;
};

uint32_t big_endian(const unsigned char b[4]) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

}  // namespace

torch::Tensor read_idx(const std::string& path) {
  GzReader in(path);
  unsigned char magic[4];
  in.read(magic, 4, "header");
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08)
    throw std::invalid_argument("'" + path + "' is not an unsigned-byte IDX file (bad magic number)");
  const int rank = magic[3];
  if (rank < 1 || rank > 4)
    throw std::invalid_argument("'" + path + "': IDX rank " + std::to_string(rank) + " is not supported");
  std::vector<int64_t> shape;
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    unsigned char b[4];
    in.read(b, 4, "dimensions");
    const uint32_t d = big_endian(b);
    if (d == 0 || d > (1u << 28) || total > (int64_t(1) << 34) / d)
      throw std::invalid_argument("'" + path + "': impossible IDX dimension " + std::to_string(d));
    shape.push_back(d);
    total *= d;
  }
  torch::Tensor data = torch::empty(shape, torch::kUInt8);
  in.read(data.data_ptr(), static_cast<size_t>(total), "data");
  if (!in.at_end()) throw std::invalid_argument("'" + path + "': trailing bytes after the declared IDX data");
  return data;
}

LabelledImages load_fashion_mnist(const std::string& split, const std::string& dir) {
  if (split != "train" && split != "test") throw std::invalid_argument("Fashion-MNIST split must be train or test");
  const std::string prefix = split == "train" ? "train" : "t10k";
  const auto find = [&](const std::string& stem) {
    for (const char* ext : {".gz", ""}) {
      const std::filesystem::path p = std::filesystem::path(dir) / (stem + ext);
      if (std::filesystem::exists(p)) return p.string();
    }
    throw std::invalid_argument("Fashion-MNIST file '" + stem + "' not found in '" + dir +
                                "' (install Debian's dataset-fashion-mnist)");
  };
  const torch::Tensor images = read_idx(find(prefix + "-images-idx3-ubyte"));
  const torch::Tensor labels = read_idx(find(prefix + "-labels-idx1-ubyte"));
  if (images.dim() != 3 || labels.dim() != 1 || images.size(0) != labels.size(0))
    throw std::invalid_argument("Fashion-MNIST '" + dir + "': images and labels do not match (" +
                                c10::str(images.sizes()) + " vs " + c10::str(labels.sizes()) + ")");
  if ((labels >= 10).any().item<bool>()) throw std::invalid_argument("Fashion-MNIST labels must lie in 0..9");
  return {images.unsqueeze(1).to(torch::kFloat32).div(127.5).sub(1.0), labels.to(torch::kInt64)};
}

}  // namespace glass
