#pragma once
// The IDX format of (Fashion-)MNIST, plain or gzip-compressed: a big-endian header (magic with the
// element type and rank, then one size per dimension) followed by the raw elements.
#include <torch/torch.h>

#include <string>

namespace glass {

// Reads an unsigned-byte IDX file into a uint8 tensor of its declared shape. Throws
// std::invalid_argument naming the file for a bad magic, an impossible shape, or truncated data.
torch::Tensor read_idx(const std::string& path);

struct LabelledImages {
  torch::Tensor images;  // float32 [N, 1, H, W] in [-1, 1]
  torch::Tensor labels;  // int64 [N]
};

// Fashion-MNIST split ("train" or "test") from a folder holding the four files, by default the
// one of Debian's dataset-fashion-mnist package.
LabelledImages load_fashion_mnist(const std::string& split,
                                  const std::string& dir = "/usr/share/datasets/fashion-mnist");

extern const char* const kFashionMnistClasses[10];

}  // namespace glass
