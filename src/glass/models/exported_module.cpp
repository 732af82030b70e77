#include "glass/models/exported_module.h"

#include <torch/csrc/inductor/aoti_package/model_package_loader.h>
#include <torch/script.h>

#include <filesystem>
#include <stdexcept>

#include "glass/io/zip_check.h"
#include "glass/util/parse.h"

namespace glass {

namespace {

class TorchScriptModule final : public ExportedModule {
 public:
  TorchScriptModule(const std::string& path, torch::Device device) : ExportedModule(path, device) {
    module_ = torch::jit::load(path, device);
    module_.eval();
  }
  torch::Tensor run(const std::vector<torch::Tensor>& inputs) override {
    // Build a graph only when the caller differentiates through the module (guidance).
    bool grad = false;
    for (const torch::Tensor& t : inputs) grad = grad || t.requires_grad();
    torch::AutoGradMode mode(grad && torch::GradMode::is_enabled());
    const torch::jit::IValue out = module_.forward(std::vector<torch::jit::IValue>(inputs.begin(), inputs.end()));
    if (!out.isTensor()) throw std::runtime_error("it returned a " + out.tagKind() + ", not a tensor");
    return out.toTensor();
  }
  bool differentiable() const override { return true; }
  std::string format() const override { return "TorchScript"; }
  void place(const Placement& placement) override {
    if (placement.network_dtype) module_.to(placement.device, *placement.network_dtype);
    else module_.to(placement.device);
    set_device(placement.device);
  }

 private:
  torch::jit::script::Module module_;
};

class AotInductorPackage final : public ExportedModule {
 public:
  AotInductorPackage(const std::string& path, torch::Device device) : ExportedModule(path, device) { load(device); }
  void place(const Placement& placement) override {
    if (placement.device != device()) load(placement.device);
    if (!placement.network_dtype) return;
    // The compiled kernels read their inputs in the dtype they were exported with, unchecked: the
    // weights' dtype names it.
    for (const auto& [name, code] : loader_->get_runner()->getConstantNamesToDtypes()) {
      const auto type = static_cast<torch::ScalarType>(code);
      if (c10::isFloatingType(type) && type != *placement.network_dtype)
        throw std::invalid_argument("it was exported in " + dtype_name(type) + " (weight " + name + "), not " +
                                    dtype_name(*placement.network_dtype) +
                                    " (export it again in that dtype, or run it in " + dtype_name(type) + ")");
    }
  }
  torch::Tensor run(const std::vector<torch::Tensor>& inputs) override {
    for (const torch::Tensor& t : inputs)
      if (t.requires_grad() && torch::GradMode::is_enabled())
        throw std::runtime_error("an AOTInductor package has no gradient (use a TorchScript export for guidance)");
    std::vector<torch::Tensor> contiguous;
    for (const torch::Tensor& t : inputs) contiguous.push_back(t.contiguous());
    std::vector<torch::Tensor> out = loader_->run(contiguous);
    if (out.size() != 1) throw std::runtime_error("it returned " + std::to_string(out.size()) + " tensors, not one");
    return out[0];
  }
  bool differentiable() const override { return false; }
  std::string format() const override { return "AOTInductor"; }

 private:
  void load(torch::Device device) {
    // The package says which device its kernels were compiled for; LibTorch would otherwise fail
    // later, or abort, on the first call.
    const auto meta = torch::inductor::AOTIModelPackageLoader::load_metadata_from_package(path(), "model");
    const auto key = meta.find("AOTI_DEVICE_KEY");
    const std::string built_for = key == meta.end() ? std::string("an unknown device") : key->second;
    if (built_for != torch::Device(device.type()).str())
      throw std::invalid_argument("it was compiled for " + built_for + ", and this run is on " + device.str() +
                                  " (export it again with the model on " + device.str() + ")");
    loader_ = std::make_unique<torch::inductor::AOTIModelPackageLoader>(path(), "model", false, 1,
                                                                        device.has_index() ? device.index() : -1);
    set_device(device);
  }

  std::unique_ptr<torch::inductor::AOTIModelPackageLoader> loader_;
};

}  // namespace

bool is_aot_inductor_package(const std::string& path) { return std::filesystem::path(path).extension() == ".pt2"; }

std::unique_ptr<ExportedModule> load_exported_module(const std::string& path, const std::string& what,
                                                     const Placement& placement) {
  if (!std::filesystem::exists(path)) throw std::invalid_argument(what + " file '" + path + "' does not exist");
  const bool aoti = is_aot_inductor_package(path);
  try {
    check_zip_archive(path);
    std::unique_ptr<ExportedModule> module;
    if (aoti) module = std::make_unique<AotInductorPackage>(path, placement.device);
    else module = std::make_unique<TorchScriptModule>(path, placement.device);
    module->place(placement);
    return module;
  } catch (const std::exception& e) {
    throw std::invalid_argument("'" + path + "' is not a loadable " +
                                (aoti ? "AOTInductor package" : "TorchScript module") + ": " + one_line(e.what()));
  }
}

}  // namespace glass
