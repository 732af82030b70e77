// Value estimates V_t(x) = (1/lambda) log E[exp(lambda r(z)) | x_t = x], by GLASS or a Diamond Map.
#include "bindings.h"

namespace glass::python {

void bind_values(py::module_& m) {
  const ValueOptions defaults;
  m.def(
      "estimate_value",
      [](const ModelPtr& model, const RewardPtr& reward, const torch::Tensor& x, const py::object& t, double lam,
         int samples, int inner_steps, const std::string& solver, const std::optional<DiamondPtr>& diamond,
         Generator& gen, bool with_gradient) {
        if (!model || !reward) throw std::invalid_argument("estimate_value: needs a model and a reward");
        ValueOptions o;
        o.samples = samples;
        o.inner_steps = inner_steps;
        o.solver = parse_inner_solver(solver);
        if (diamond && *diamond) {
          if (&(*diamond)->map->model() != model->flow.get())
            throw std::invalid_argument("estimate_value: the Diamond Map was loaded for another model");
          o.sampler = std::make_shared<DiamondPosteriorSampler>((*diamond)->map);
        }
        o.validate();
        const torch::Tensor times = as_times(t, x.size(0));
        const ValueEstimate v = without_gil(
            [&] { return estimate_value(*model->flow, *reward, x, times, lam, o, gen.gen, with_gradient); });
        py::dict d;
        d["value"] = v.value;
        d["gradient"] = v.gradient.defined() ? py::cast(v.gradient) : py::none();
        d["nfe"] = o.nfe();
        return make_result("ValueEstimate", d);
      },
      py::arg("model"), py::arg("reward"), py::arg("x"), py::arg("t"), py::kw_only(), py::arg("lam") = 1.0,
      py::arg("samples") = defaults.samples, py::arg("inner_steps") = defaults.inner_steps,
      py::arg("solver") = inner_solver_name(defaults.solver), py::arg("diamond") = py::none(), py::arg("generator"),
      py::arg("with_gradient") = false);
}

}  // namespace glass::python
