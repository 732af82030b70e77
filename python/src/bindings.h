#pragma once
// What the Python module's parts share: the handles that keep a model alive for as long as a
// kernel, an aligner or a map uses it, and the binders of each part (one file each).
#include <torch/extension.h>

#include <memory>
#include <vector>

#include "glass/glass.h"

namespace glass::python {

namespace py = pybind11;

// A flow model with what Python needs beside it: the shape of one sample and, for the exact
// mixture models, the mixture (the exact kernel needs it).
struct Model {
  std::shared_ptr<FlowModel> flow;
  std::vector<int64_t> sample_shape;
  std::shared_ptr<const GaussianMixture> mixture;
};
using ModelPtr = std::shared_ptr<Model>;

// A seeded generator (glass's only source of randomness), owned by Python.
struct Generator {
  uint64_t seed;
  at::Generator gen;
};

// A kernel on a model, with the choice it was built from (an aligner rebuilds it on guided
// wrappers of the model) and the model kept alive.
struct Kernel {
  ModelPtr model;
  KernelChoice choice;
  std::unique_ptr<TransitionKernel> kernel;
};
using KernelPtr = std::shared_ptr<Kernel>;

// A Diamond Map with the model it was distilled from kept alive.
struct Diamond {
  ModelPtr model;
  std::shared_ptr<DiamondMap> map;
};
using DiamondPtr = std::shared_ptr<Diamond>;

// Runs library code with the GIL released: LibTorch's autograd engine refuses to run while it is
// held (guidance and value gradients backpropagate), and other Python threads may go on. Python
// callbacks (models, rewards, progress) take it back for their own call.
template <class F>
auto without_gil(F&& f) {
  py::gil_scoped_release released;
  return f();
}

// A Python progress callback (k, K) as the library's, safe to copy and call without the GIL.
std::function<void(int, int)> progress_callback(const std::optional<py::function>& callback);

// Results become the dataclasses of glass/_results.py.
py::object make_result(const char* name, py::dict fields);

// Times as float64 tensors: a Python float, a list of floats or a tensor.
torch::Tensor as_times(const py::object& t, int64_t n);

// An outer grid from `steps` (uniform, or the table's own steps for a DDPM-step model) or `grid`.
std::vector<double> outer_grid(const Model& model, const std::optional<int>& steps,
                               const std::optional<std::vector<double>>& grid);

py::dict network_cost_dict(const NetworkCost& c);
py::object alignment_cost_result(const AlignmentCost& c);

void bind_models(py::module_& m);
void bind_kernels(py::module_& m);
void bind_rewards(py::module_& m);
void bind_alignment(py::module_& m);
void bind_values(py::module_& m);

}  // namespace glass::python
