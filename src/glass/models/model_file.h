#pragma once
// Loading a model from disk: a native glass network (model.json sidecar + weights) or a user's
// exported network, TorchScript (.pt) or AOTInductor (.pt2), with an optional JSON sidecar of the
// same stem (one sidecar serves model.pt and model.pt2), or explicit settings.
//
// Sidecar fields: "format" ("native" | "torchscript" | "aotinductor"; a .pt2 file is always
// read as AOTInductor), "weights" (file name, default: the stem
// with .pt), "prediction" (velocity | x0 | noise | v_prediction, or diffusers' names epsilon, sample,
// flow_prediction), "time" (t | sigma | ddpm), "time_scale",
// "schedule", "sample_shape", and for native networks "arch", "width", "depth".
#include <optional>
#include <string>
#include <vector>

#include "glass/models/classifier_free_guidance.h"
#include "glass/models/native_net.h"
#include "glass/models/network_flow_model.h"

namespace glass {

struct ModelOverrides {  // command-line settings that win over the sidecar
  std::optional<std::string> prediction, time, schedule;
  std::optional<double> time_scale;
  std::optional<std::vector<int64_t>> sample_shape;
  Conditioning conditioning;
};

struct LoadedModelFile {
  std::unique_ptr<NetworkFlowModel> model;
  std::vector<int64_t> sample_shape;
  std::string description;
};

// The network is loaded onto placement.device in placement.network_dtype (models/placement.h).
LoadedModelFile load_model_file(const std::string& path, const ModelOverrides& overrides = {},
                                const Placement& placement = {});

// A native glass network with its weights, as a module (to initialise another network from it).
struct NativeModelFile {
  NativeNetConfig config;
  NativeNet net;
};
NativeModelFile load_native_model_file(const std::string& path);

}  // namespace glass
