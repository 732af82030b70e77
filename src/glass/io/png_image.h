#pragma once
// RGB images written as PNG, and a 2-D scatter plot of samples over a reference set.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace glass {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major RGB
  RgbImage(int w, int h, uint8_t fill = 255) : width(w), height(h), pixels(static_cast<size_t>(w) * h * 3, fill) {}
  // Blends colour into pixel (x, y) with opacity a in [0, 1]; ignores points outside.
  void blend(int x, int y, const uint8_t rgb[3], double a);
};

void write_png(const std::string& path, const RgbImage& image);

// A PNG file as float32 [C, H, W] in [-1, 1] (the range image models are trained on): C = 1 for a
// grayscale file, 3 otherwise (alpha is composited on black). Throws naming the file when it is
// missing or not a readable PNG.
torch::Tensor read_png(const std::string& path);

struct ScatterLayer {
  torch::Tensor points;  // [N, 2]
  uint8_t rgb[3];
  double opacity;
};

// Images [N, C, H, W] (C = 1 or 3) with values in [-1, 1], tiled `columns` wide with a 2-pixel
// border; `scale` enlarges each pixel.
RgbImage image_grid(const torch::Tensor& images, int columns, int scale = 2);

// Panels placed one under another (vertical) or side by side, `gap` pixels of `fill` between.
RgbImage stack_images(const std::vector<RgbImage>& panels, bool vertical, int gap = 8, uint8_t fill = 255);

// Layers are drawn in order on one square canvas whose axis range covers all of them.
RgbImage scatter_plot(const std::vector<ScatterLayer>& layers, int size = 640);

}  // namespace glass
