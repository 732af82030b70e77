#include "glass/training/checkpoint.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "glass/io/atomic_file.h"
#include "glass/io/zip_check.h"
#include "glass/models/native_net.h"

namespace glass {

namespace fs = std::filesystem;

TrainingCheckpoint::TrainingCheckpoint(const std::string& out_dir) : dir_((fs::path(out_dir) / "checkpoint").string()) {
  fs::create_directories(dir_);
}

int64_t TrainingCheckpoint::resume(torch::nn::Module& module, Ema& ema, torch::optim::Optimizer& optimizer) const {
  const fs::path dir(dir_);
  if (!fs::exists(dir / "state.json")) return 0;
  std::ifstream in(dir / "state.json");
  const int64_t step = nlohmann::json::parse(in).at("step").get<int64_t>();
  load_weights(module, (dir / "weights.pt").string());
  ema.load((dir / "ema.pt").string());
  torch::serialize::InputArchive archive;
  check_zip_archive((dir / "optimizer.pt").string());
  archive.load_from((dir / "optimizer.pt").string());
  optimizer.load(archive);
  return step;
}

void TrainingCheckpoint::save(torch::nn::Module& module, const Ema& ema, torch::optim::Optimizer& optimizer,
                              int64_t step) const {
  const fs::path dir(dir_);
  save_weights(module, (dir / "weights.pt").string());
  const std::string ema_path = (dir / "ema.pt").string(), optimizer_path = (dir / "optimizer.pt").string();
  ema.save(temporary_name(ema_path));
  commit_temporary(ema_path);
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  archive.save_to(temporary_name(optimizer_path));
  commit_temporary(optimizer_path);
  // The step last: a checkpoint counts only once all its files are in place.
  write_text_atomically((dir / "state.json").string(), nlohmann::json{{"step", step}}.dump() + "\n");
}

}  // namespace glass
