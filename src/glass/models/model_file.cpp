#include "glass/models/model_file.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "glass/models/classifier_free_guidance.h"
#include "glass/models/exported_network.h"
#include "glass/models/native_net.h"
#include "glass/util/parse.h"

namespace glass {

namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot open '" + path.string() + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument("'" + path.string() + "': malformed JSON (" + one_line(e.what()) + ")");
  }
}

// A sidecar that declares a network too large for its weights file (a corrupt width or shape)
// is refused before the network is allocated: every parameter is stored, 4 bytes each, and the
// largest layer alone (width x width for the MLP's hidden layers and the U-Net's 3x3
// convolutions, input x width for the MLP's first) holds at least this many.
void refuse_nets_larger_than_their_weights(const NativeNetConfig& c, const fs::path& weights,
                                           const std::string& where) {
  std::error_code ec;
  const auto file_bytes = fs::file_size(weights, ec);
  if (ec) throw std::invalid_argument("cannot read weights '" + weights.string() + "': " + ec.message());
  double inputs = 1.0;
  for (int64_t d : c.sample_shape) inputs *= static_cast<double>(d);
  const double w = static_cast<double>(c.width);
  const double at_least = c.arch == "mlp" ? std::max(inputs, c.depth > 1 ? w : 1.0) * w : 9.0 * w * w;
  if (4.0 * at_least > static_cast<double>(file_bytes))
    throw std::invalid_argument(where + ": a " + c.arch + " of width " + std::to_string(c.width) + " on samples of " +
                                std::to_string(static_cast<int64_t>(inputs)) + " values cannot fit in the " +
                                std::to_string(file_bytes) + " bytes of '" + weights.string() + "'");
}

// Where a model path's sidecar and weights are, and the sidecar's settings (TorchScript if none).
struct ModelPaths {
  fs::path sidecar, weights;
  nlohmann::json meta;
};

ModelPaths resolve_model_paths(const std::string& path_text) {
  const fs::path path(path_text);
  if (!fs::exists(path)) throw std::invalid_argument("model file '" + path_text + "' does not exist");
  ModelPaths p;
  if (path.extension() == ".json") {
    p.sidecar = path;
  } else {
    p.weights = path;
    fs::path candidate = path;
    candidate.replace_extension(".json");
    if (fs::exists(candidate)) p.sidecar = candidate;
  }
  p.meta = p.sidecar.empty() ? nlohmann::json{{"format", "torchscript"}} : read_json(p.sidecar);
  if (!p.meta.is_object()) throw std::invalid_argument("'" + p.sidecar.string() + "' must hold a JSON object");
  if (p.weights.empty()) {
    fs::path w = p.sidecar;
    w.replace_extension(".pt");
    p.weights = p.sidecar.parent_path() / p.meta.value("weights", w.filename().string());
  }
  return p;
}

NativeModelFile load_native(const nlohmann::json& meta, const fs::path& weights, const std::string& where) {
  NativeModelFile out{NativeNetConfig::from_json(meta, where), {}};
  refuse_nets_larger_than_their_weights(out.config, weights, where);
  out.net = make_native_net(out.config);
  load_weights(*out.net.module, weights.string());
  return out;
}

}  // namespace

NativeModelFile load_native_model_file(const std::string& path_text) {
  const ModelPaths p = resolve_model_paths(path_text);
  const std::string where = p.sidecar.empty() ? path_text : p.sidecar.string();
  if (p.meta.value("format", std::string("native")) != "native")
    throw std::invalid_argument(where + ": not a native glass network (format " +
                                quote(p.meta.value("format", std::string())) + ")");
  return load_native(p.meta, p.weights, where);
}

LoadedModelFile load_model_file(const std::string& path_text, const ModelOverrides& ov, const Placement& placement) {
  ModelPaths paths = resolve_model_paths(path_text);
  const fs::path& sidecar = paths.sidecar;
  const fs::path& weights = paths.weights;
  nlohmann::json& meta = paths.meta;
  // Command-line settings win over the sidecar.
  if (ov.prediction) meta["prediction"] = *ov.prediction;
  if (ov.time) meta["time"] = *ov.time;
  if (ov.schedule) meta["schedule"] = *ov.schedule;
  if (ov.time_scale) meta["time_scale"] = *ov.time_scale;
  if (ov.sample_shape) meta["sample_shape"] = *ov.sample_shape;

  // A .pt2 file is an AOTInductor package, whichever sidecar it shares with its TorchScript twin.
  const std::string format =
      is_aot_inductor_package(weights.string()) ? "aotinductor" : meta.value("format", std::string("native"));
  const std::string where = sidecar.empty() ? path_text : sidecar.string();
  LoadedModelFile out;
  NetworkPtr network;
  ModelSpec spec;
  std::string schedule;
  try {
    spec.prediction = parse_prediction(meta.value("prediction", std::string("velocity")));
    spec.time = parse_time_convention(meta.value("time", std::string("t")));
    spec.time_scale = meta.value("time_scale", 1.0);
    schedule = meta.value("schedule", std::string("condot"));
    if (!meta.contains("sample_shape"))
      throw std::invalid_argument(
          "the sample shape is unknown (give --sample-shape or a sidecar with \"sample_shape\")");
    out.sample_shape = meta.at("sample_shape").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(where + ": " + one_line(e.what()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
  const bool exported = format == "torchscript" || format == "aotinductor";
  const Conditioning& conditioning = ov.conditioning;
  if (format == "native") {
    NativeModelFile native = load_native(meta, weights, where);
    if (native.config.classes == 0 && !conditioning.empty())
      throw std::invalid_argument(where + ": conditioning needs a conditional network (this one has no classes)");
    Conditioning labels = conditioning;
    // Classifier-free guidance against the null label unless told otherwise.
    if (native.config.classes > 0 && labels.guidance_scale && labels.uncond.empty() && labels.cond.size() == 1)
      labels.uncond = {torch::full_like(labels.cond[0], native.config.classes)};
    const std::string what =
        native.config.classes > 0 ? " (" + std::to_string(native.config.classes) + " classes)" : "";
    network =
        with_conditioning(std::make_shared<NativeNetwork>(
                              std::move(native.net), "glass " + native.config.arch + what + " " + weights.string()),
                          labels);
  } else if (exported) {
    network = with_conditioning(std::make_shared<ExportedNetwork>(weights.string(), placement), conditioning);
  } else {
    throw std::invalid_argument(where + ": unknown format '" + format +
                                "' (expected native, torchscript or aotinductor)");
  }
  out.description = network->describe();
  try {
    out.model = std::make_unique<NetworkFlowModel>(network, make_schedule(schedule), spec);
    out.model->place(placement);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
  return out;
}

}  // namespace glass
