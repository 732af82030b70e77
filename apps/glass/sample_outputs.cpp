#include "sample_outputs.h"

#include "glass/io/png_image.h"
#include "glass/io/tensor_files.h"

#include <cmath>

namespace glass::cli {

nlohmann::json write_samples(const RunOptions& run, const torch::Tensor& samples, const torch::Tensor& reference) {
  nlohmann::json files;
  write_csv(run.path("samples.csv"), samples);
  write_npy(run.path("samples.npy"), samples);
  files["csv"] = run.path("samples.csv");
  files["npy"] = run.path("samples.npy");
  if (samples.dim() == 2 && samples.size(1) == 2) {
    std::vector<ScatterLayer> layers;
    if (reference.defined()) layers.push_back({reference, {150, 150, 150}, 0.35});
    layers.push_back({samples, {30, 90, 200}, 0.6});
    write_png(run.path("samples.png"), scatter_plot(layers));
    files["png"] = run.path("samples.png");
  } else if (samples.dim() == 4 && (samples.size(1) == 1 || samples.size(1) == 3)) {
    const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(std::min<int64_t>(samples.size(0), 256)))));
    write_png(run.path("samples.png"), image_grid(samples.narrow(0, 0, std::min<int64_t>(samples.size(0), 256)), columns));
    files["png"] = run.path("samples.png");
  }
  return files;
}

}  // namespace glass::cli
