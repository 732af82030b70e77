// The _glass extension module: generators, threads and the helpers every part uses; the parts
// bind themselves (bind_*.cpp). glass/__init__.py is the documented surface over it.
#include "bindings.h"
#include "glass/util/allocator.h"

namespace glass::python {

py::object make_result(const char* name, py::dict fields) {
  // Looked up each time (a dictionary hit): a static py::object would outlive the interpreter.
  return py::module_::import("glass._results").attr(name)(**fields);
}

torch::Tensor as_times(const py::object& t, int64_t n) {
  torch::Tensor out;
  if (THPVariable_Check(t.ptr())) {
    out = py::cast<torch::Tensor>(t).to(torch::kFloat64);
  } else if (py::isinstance<py::float_>(t) || py::isinstance<py::int_>(t)) {
    out = torch::full({n}, py::cast<double>(t), torch::kFloat64);
  } else {
    out = torch::tensor(py::cast<std::vector<double>>(t), torch::kFloat64);
  }
  if (out.dim() == 0) out = out.expand({n}).contiguous();
  if (out.dim() != 1 || out.size(0) != n)
    throw std::invalid_argument("times: need one per particle (" + std::to_string(n) + ") or one for all, got shape " +
                                c10::str(out.sizes()));
  return out;
}

std::vector<double> outer_grid(const Model& model, const std::optional<int>& steps,
                               const std::optional<std::vector<double>>& grid) {
  if (grid && steps) throw std::invalid_argument("grid: give steps or grid, not both");
  if (grid) {
    check_grid(*grid);
    return *grid;
  }
  const int k = steps.value_or(10);
  if (k < 1) throw std::invalid_argument("steps: need at least 1, got " + std::to_string(k));
  return default_grid(*model.flow, k);
}

std::function<void(int, int)> progress_callback(const std::optional<py::function>& callback) {
  if (!callback) return {};
  // Shared, so that copies made without the GIL never touch the function's reference count; the
  // last copy drops it under the GIL.
  std::shared_ptr<py::function> fn(new py::function(*callback), [](py::function* f) {
    py::gil_scoped_acquire gil;
    delete f;
  });
  return [fn](int k, int total) {
    py::gil_scoped_acquire gil;
    (*fn)(k, total);
  };
}

py::dict network_cost_dict(const NetworkCost& c) {
  py::dict d;
  d["calls"] = c.calls;
  d["rows"] = c.rows;
  d["gradient_calls"] = c.gradient_calls;
  return d;
}

py::object alignment_cost_result(const AlignmentCost& c) {
  py::dict d;
  d["network_calls"] = c.network_calls;
  d["network_rows"] = c.network_rows;
  d["gradient_calls"] = c.gradient_calls;
  d["reward_calls"] = c.reward_calls;
  d["reward_rows"] = c.reward_rows;
  d["outputs"] = c.outputs;
  d["nfe_per_output"] = c.nfe_per_output();
  return make_result("AlignmentCost", d);
}

}  // namespace glass::python

PYBIND11_MODULE(_glass, m) {
  using namespace glass::python;
  m.doc() = "glass.cpp's engine (use the glass package, which documents it)";
  // Freed tensors stay in the process, as in the glass command: glibc would otherwise map and
  // fault in every large tensor afresh at each call (docs/benchmarks.md, "Python overhead").
  glass::keep_freed_memory();
  // The torch this module was compiled against: LibTorch's C++ ABI changes between releases.
  m.attr("TORCH_BUILD_VERSION") = GLASS_TORCH_BUILD_VERSION;

  py::class_<Generator, std::shared_ptr<Generator>>(
      m, "Generator",
      "Generator(seed=0): the seeded source of every random draw; the same seed "
      "and thread count give the same numbers as the glass command.")
      .def(py::init(
               [](uint64_t seed) { return std::make_shared<Generator>(Generator{seed, glass::make_generator(seed)}); }),
           py::arg("seed") = 0)
      .def_readonly("seed", &Generator::seed)
      .def("__repr__", [](const Generator& g) { return "glass.Generator(seed=" + std::to_string(g.seed) + ")"; });

  m.def("set_threads", [](int n) {
    if (n < 1) throw std::invalid_argument("threads: need at least 1, got " + std::to_string(n));
    torch::set_num_threads(n);
  });
  m.def("threads", [] { return torch::get_num_threads(); });

  bind_models(m);
  bind_kernels(m);
  bind_rewards(m);
  bind_values(m);
  bind_alignment(m);
}
