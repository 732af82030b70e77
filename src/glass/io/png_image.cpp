#include "glass/io/png_image.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "glass/io/atomic_file.h"

namespace glass {

void RgbImage::blend(int x, int y, const uint8_t rgb[3], double a) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  uint8_t* p = &pixels[(static_cast<size_t>(y) * width + x) * 3];
  for (int c = 0; c < 3; ++c) p[c] = static_cast<uint8_t>(std::lround((1.0 - a) * p[c] + a * rgb[c]));
}

void write_png(const std::string& path, const RgbImage& image) {
  const std::string tmp = temporary_name(path);
  FILE* fp = std::fopen(tmp.c_str(), "wb");
  if (!fp) throw std::runtime_error("cannot open '" + path + "' for writing");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(fp);
    std::remove(tmp.c_str());
    throw std::runtime_error("error while writing PNG '" + path + "'");
  }
  png_init_io(png, fp);
  png_set_IHDR(png, info, image.width, image.height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image.height; ++y)
    png_write_row(png, const_cast<png_bytep>(&image.pixels[static_cast<size_t>(y) * image.width * 3]));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(fp) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("error while writing PNG '" + path + "'");
  }
  commit_temporary(path);
}

torch::Tensor read_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    throw std::invalid_argument("'" + path + "' is not a readable PNG (" + image.message + ")");
  const bool gray = (image.format & PNG_FORMAT_FLAG_COLOR) == 0;
  image.format = gray ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  const int channels = gray ? 1 : 3;
  std::vector<uint8_t> buffer(PNG_IMAGE_SIZE(image));
  const png_color black{0, 0, 0};
  if (!png_image_finish_read(&image, &black, buffer.data(), 0, nullptr)) {
    const std::string message = image.message;
    png_image_free(&image);
    throw std::invalid_argument("'" + path + "' is not a readable PNG (" + message + ")");
  }
  const int64_t h = image.height, w = image.width;
  return torch::from_blob(buffer.data(), {h, w, channels}, torch::kUInt8)
      .permute({2, 0, 1})
      .to(torch::kFloat32)
      .div(127.5)
      .sub(1.0)
      .contiguous();
}

RgbImage image_grid(const torch::Tensor& images_in, int columns, int scale) {
  if (images_in.dim() != 4 || (images_in.size(1) != 1 && images_in.size(1) != 3))
    throw std::invalid_argument("image grid: expected [N, 1 or 3, H, W], got " + c10::str(images_in.sizes()));
  if (columns < 1 || scale < 1) throw std::invalid_argument("image grid: columns and scale must be positive");
  const torch::Tensor img = ((images_in.detach().to(torch::kCPU, torch::kFloat32).clamp(-1, 1) + 1) * 127.5)
                                .round()
                                .to(torch::kUInt8)
                                .contiguous();
  const int n = static_cast<int>(img.size(0)), c = static_cast<int>(img.size(1));
  const int h = static_cast<int>(img.size(2)), w = static_cast<int>(img.size(3));
  const int cols = std::min(columns, std::max(n, 1)), rows = (n + cols - 1) / cols, pad = 2;
  RgbImage out(cols * (w * scale + pad) + pad, rows * (h * scale + pad) + pad, 40);
  const uint8_t* p = img.data_ptr<uint8_t>();
  for (int i = 0; i < n; ++i) {
    const int x0 = pad + (i % cols) * (w * scale + pad), y0 = pad + (i / cols) * (h * scale + pad);
    for (int y = 0; y < h * scale; ++y)
      for (int x = 0; x < w * scale; ++x) {
        uint8_t* px = &out.pixels[(static_cast<size_t>(y0 + y) * out.width + x0 + x) * 3];
        for (int k = 0; k < 3; ++k)
          px[k] = p[((static_cast<size_t>(i) * c + (c == 3 ? k : 0)) * h + y / scale) * w + x / scale];
      }
  }
  return out;
}

RgbImage stack_images(const std::vector<RgbImage>& panels, bool vertical, int gap, uint8_t fill) {
  if (panels.empty()) throw std::invalid_argument("stack_images: no panels");
  int width = 0, height = 0;
  for (const RgbImage& p : panels) {
    width = vertical ? std::max(width, p.width) : width + p.width;
    height = vertical ? height + p.height : std::max(height, p.height);
  }
  const int gaps = gap * static_cast<int>(panels.size() - 1);
  RgbImage out(vertical ? width : width + gaps, vertical ? height + gaps : height, fill);
  int offset = 0;
  for (const RgbImage& p : panels) {
    for (int y = 0; y < p.height; ++y) {
      const int oy = vertical ? offset + y : y, ox = vertical ? 0 : offset;
      std::copy_n(&p.pixels[static_cast<size_t>(y) * p.width * 3], static_cast<size_t>(p.width) * 3,
                  &out.pixels[(static_cast<size_t>(oy) * out.width + ox) * 3]);
    }
    offset += (vertical ? p.height : p.width) + gap;
  }
  return out;
}

RgbImage scatter_plot(const std::vector<ScatterLayer>& layers, int size) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& layer : layers) {
    if (layer.points.dim() != 2 || layer.points.size(1) != 2)
      throw std::invalid_argument("scatter plot: points must have shape [N, 2]");
    const torch::Tensor p = layer.points.detach().to(torch::kCPU, torch::kFloat64);
    const torch::Tensor finite = p.masked_select(torch::isfinite(p));
    if (finite.numel() == 0) continue;
    // Robust range: 0.5% and 99.5% quantiles, so a few outliers do not shrink the picture.
    lo = std::min(lo, torch::quantile(finite, 0.005).item<double>());
    hi = std::max(hi, torch::quantile(finite, 0.995).item<double>());
  }
  if (!std::isfinite(lo) || !(hi > lo)) {
    lo = -1.0;
    hi = 1.0;
  }
  const double pad = 0.08 * (hi - lo);
  lo -= pad;
  hi += pad;
  RgbImage img(size, size);
  const uint8_t frame[3] = {120, 120, 120};
  for (int i = 0; i < size; ++i) {
    img.blend(i, 0, frame, 1.0);
    img.blend(i, size - 1, frame, 1.0);
    img.blend(0, i, frame, 1.0);
    img.blend(size - 1, i, frame, 1.0);
  }
  // Axes through the origin when it is in view.
  const auto to_px = [&](double v) { return (v - lo) / (hi - lo) * (size - 1); };
  const uint8_t axis[3] = {200, 200, 200};
  if (lo < 0 && hi > 0) {
    const int o = static_cast<int>(std::lround(to_px(0.0)));
    for (int i = 0; i < size; ++i) {
      img.blend(o, i, axis, 1.0);
      img.blend(i, size - 1 - o, axis, 1.0);
    }
  }
  for (const auto& layer : layers) {
    const torch::Tensor p = layer.points.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const double* d = p.data_ptr<double>();
    for (int64_t i = 0; i < p.size(0); ++i) {
      const int px = static_cast<int>(std::lround(to_px(d[2 * i])));
      const int py = size - 1 - static_cast<int>(std::lround(to_px(d[2 * i + 1])));
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) img.blend(px + dx, py + dy, layer.rgb, layer.opacity * (dx || dy ? 0.5 : 1.0));
    }
  }
  return img;
}

}  // namespace glass
