#pragma once
// A user's module exported from PyTorch, whatever its format: TorchScript (torch.jit.script or
// trace, a .pt archive) or a torch.export program compiled by AOTInductor (a .pt2 package). The
// format is read from the file: a .pt2 is an AOTInductor package, anything else TorchScript.
// Networks (exported_network.h) and rewards (exported_reward.h) run through this one loader.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "glass/models/placement.h"

namespace glass {

class ExportedModule {
 public:
  virtual ~ExportedModule() = default;
  // Runs the module's forward on inputs already on its device; returns its one tensor output.
  virtual torch::Tensor run(const std::vector<torch::Tensor>& inputs) = 0;
  // AOTInductor packages are compiled forward passes: no autograd graph runs through them.
  virtual bool differentiable() const = 0;
  virtual std::string format() const = 0;  // "TorchScript" or "AOTInductor"
  // Moves the module to placement.device and runs it in placement.network_dtype: TorchScript
  // converts its weights; an AOTInductor package is compiled for one dtype, and another is a
  // one-line error naming both.
  virtual void place(const Placement& placement) = 0;
  const std::string& path() const { return path_; }
  torch::Device device() const { return device_; }

 protected:
  ExportedModule(std::string path, torch::Device device) : path_(std::move(path)), device_(device) {}
  void set_device(torch::Device device) { device_ = device; }

 private:
  std::string path_;
  torch::Device device_;
};

// what: "model" or "reward", for the messages. Throws std::invalid_argument with one line naming
// the file when it is missing, is not a module of its format, was compiled for another device or
// dtype, or uses an operator this LibTorch does not know.
std::unique_ptr<ExportedModule> load_exported_module(const std::string& path, const std::string& what,
                                                     const Placement& placement = {});

bool is_aot_inductor_package(const std::string& path);

}  // namespace glass
