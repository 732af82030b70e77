// Rewards: the library's own (from a spec such as "class:3"), TorchScript files, and Python
// callables, which may be differentiable through autograd for guidance.
#include "bindings.h"

namespace glass::python {

namespace {

// A Python callable z -> r(z) as a reward, called under the GIL. What it raises propagates to the
// Python caller as raised (pybind11 carries the exception through the C++ frames).
class PythonReward final : public Reward {
 public:
  PythonReward(py::function fn, std::string name, bool differentiable)
      : fn_(std::move(fn)), name_(std::move(name)), differentiable_(differentiable) {}
  ~PythonReward() override {
    py::gil_scoped_acquire gil;
    fn_ = py::function();
  }
  std::string name() const override { return name_; }
  bool differentiable() const override { return differentiable_; }

 protected:
  torch::Tensor compute(const torch::Tensor& z) override {
    py::gil_scoped_acquire gil;
    const py::object out = fn_(z);
    if (!THPVariable_Check(out.ptr()))
      throw std::invalid_argument("reward " + quote(name_) + ": returned a " +
                                  std::string(py::str(py::type::of(out).attr("__name__"))) + ", not a tensor");
    return py::cast<torch::Tensor>(out);
  }

 private:
  py::function fn_;
  std::string name_;
  bool differentiable_;
};

}  // namespace

void bind_rewards(py::module_& m) {
  py::class_<Reward, RewardPtr>(
      m, "Reward",
      "Reward(fn, name=None, differentiable=True): a Python callable z -> r(z), one value per "
      "sample; differentiable through autograd for guidance. Calls and rows are counted.")
      .def(py::init([](py::function fn, std::optional<std::string> name, bool differentiable) -> RewardPtr {
             const std::string n = name ? *name : std::string(py::str(fn.attr("__name__")));
             return std::make_shared<PythonReward>(fn, n, differentiable);
           }),
           py::arg("fn"), py::arg("name") = py::none(), py::arg("differentiable") = true)
      .def(
          "__call__", [](Reward& r, const torch::Tensor& z) { return without_gil([&] { return r(z); }); }, py::arg("z"))
      .def_property_readonly("name", &Reward::name)
      .def_property_readonly("differentiable", &Reward::differentiable)
      .def_property_readonly("cost",
                             [](const Reward& r) {
                               py::dict d;
                               d["calls"] = r.cost().calls;
                               d["rows"] = r.cost().rows;
                               return d;
                             })
      .def("reset_cost", &Reward::reset_cost)
      .def("__repr__", [](const Reward& r) { return "glass.Reward('" + r.name() + "')"; });

  m.def(
      "reward",
      [](const std::string& spec, std::optional<std::string> classifier, const std::string& device) {
        return make_reward(spec, RewardContext{classifier.value_or(std::string(GLASS_MODELS_DIR) +
                                                                   "/fashion-mnist-classifier/model.json"),
                                               parse_device(device)});
      },
      py::arg("spec"), py::arg("classifier") = py::none(), py::arg("device") = "cpu",
      "A reward from its text (quadratic:..., box:..., class:N, script:PATH, weighted sums); networks in it run on "
      "`device` (the model's: model.device), in float32.");
  m.attr("MODELS_DIR") = GLASS_MODELS_DIR;
}

}  // namespace glass::python
