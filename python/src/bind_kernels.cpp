// Transition kernels, chains of them, posterior samples and Diamond Maps.
#include "bindings.h"

namespace glass::python {

namespace {

RhoSchedule rho_from(const py::object& rho) {
  if (py::isinstance<py::str>(rho)) return RhoSchedule::parse(py::cast<std::string>(rho));
  if (py::isinstance<py::sequence>(rho)) return RhoSchedule::per_step(py::cast<std::vector<double>>(rho));
  return RhoSchedule::constant(py::cast<double>(rho));
}

py::object step_result(const StepResult& r) {
  py::dict d;
  d["x"] = r.x;
  d["nfe"] = r.nfe;
  d["log_prob"] = r.log_prob ? py::cast(*r.log_prob) : py::none();
  return make_result("StepResult", d);
}

KernelPtr make_kernel_handle(const ModelPtr& model, const std::string& kind, int inner_steps, const py::object& rho,
                             const std::string& solver, double sbar_init, bool table_inner_grid,
                             const std::string& ode_method, std::optional<double> eta, const std::string& diffusion,
                             int substeps, const std::optional<DiamondPtr>& diamond) {
  if (!model) throw std::invalid_argument("kernel: needs a model");
  auto k = std::make_shared<Kernel>();
  k->model = model;
  KernelChoice& c = k->choice;
  c.kind = parse_named(kernel_kind_names(), kind, "kernel");
  c.glass.inner_steps = inner_steps;
  c.glass.rho = rho_from(rho);
  c.glass.solver = parse_inner_solver(solver);
  c.glass.sbar_init = sbar_init;
  c.glass.table_inner_grid = table_inner_grid;
  c.glass.validate();
  c.ode_method = parse_named(ode_method_names(), ode_method, "ODE method");
  c.eta = eta;
  c.sde.diffusion = parse_named(diffusion_names(), diffusion, "diffusion");
  c.sde.substeps = substeps;
  c.sde_options().validate();
  if (c.kind == KernelKind::Diamond) {
    if (!diamond || !*diamond) throw std::invalid_argument("kernel: 'diamond' needs diamond=glass.load_diamond(...)");
    if (&(*diamond)->map->model() != model->flow.get())
      throw std::invalid_argument("kernel: the Diamond Map was loaded for another model");
    c.diamond = (*diamond)->map;
  }
  if (c.kind == KernelKind::Exact && !model->mixture)
    throw std::invalid_argument("kernel: 'exact' needs a Gaussian-mixture model (glass.mixture_model)");
  k->kernel = make_kernel(c, *model->flow, model->mixture.get());
  return k;
}

}  // namespace

void bind_kernels(py::module_& m) {
  // Every keyword default is the library's own (KernelChoice's; ValueOptions' for posterior samples).
  const KernelChoice defaults;
  const GlassOptions& glass_defaults = defaults.glass;
  const SdeOptions& sde_defaults = defaults.sde;
  const ValueOptions posterior_defaults;
  // Bound first, so that the kernel's signature names it.
  py::class_<Diamond, DiamondPtr>(m, "DiamondMap",
                                  "A distilled Diamond Map: posterior_sample(x_t, t) in one call (or calls=k), "
                                  "transition(x_t, t, t_next) in one call.")
      .def(
          "posterior_sample",
          [](Diamond& d, const torch::Tensor& x_t, const py::object& t, Generator& gen, int calls) {
            const torch::Tensor times = as_times(t, x_t.size(0));
            return without_gil([&] { return d.map->posterior_sample(x_t, times, gen.gen, calls); });
          },
          py::arg("x_t"), py::arg("t"), py::kw_only(), py::arg("generator"), py::arg("calls") = 1)
      .def(
          "transition",
          [](Diamond& d, const torch::Tensor& x_t, const py::object& t, const py::object& t_next, Generator& gen) {
            const torch::Tensor from = as_times(t, x_t.size(0)), to = as_times(t_next, x_t.size(0));
            return without_gil([&] { return d.map->transition(x_t, from, to, gen.gen); });
          },
          py::arg("x_t"), py::arg("t"), py::arg("t_next"), py::arg("generator"))
      .def_property_readonly("model", [](const Diamond& d) { return d.model; })
      .def("describe", [](const Diamond& d) { return d.map->describe(); });
  py::class_<Kernel, KernelPtr>(
      m, "Kernel",
      "Kernel(model, kind='glass', ...): a transition x_t -> x_t' of the model. kind: glass (inner_steps, "
      "rho (a number, 'ddpm' or a list: one per step), solver euler|midpoint|heun|ab2|pc3, sbar_init), ode "
      "(ode_method), ddpm | ddim (eta), sde "
      "(diffusion, eta, substeps), exact (mixture models), diamond (diamond=load_diamond(...)). "
      "step(x, t, t_next, generator) -> StepResult.")
      .def(py::init(&make_kernel_handle), py::arg("model"),
           py::arg("kind") = name_of(kernel_kind_names(), defaults.kind),
           py::arg("inner_steps") = glass_defaults.inner_steps, py::arg("rho") = glass_defaults.rho.name(),
           py::arg("solver") = inner_solver_name(glass_defaults.solver),
           py::arg("sbar_init") = glass_defaults.sbar_init,
           py::arg("table_inner_grid") = glass_defaults.table_inner_grid,
           py::arg("ode_method") = name_of(ode_method_names(), defaults.ode_method), py::arg("eta") = py::none(),
           py::arg("diffusion") = name_of(diffusion_names(), sde_defaults.diffusion),
           py::arg("substeps") = sde_defaults.substeps, py::arg("diamond") = py::none())
      .def_property_readonly("name", [](const Kernel& k) { return k.kernel->name(); })
      .def_property_readonly("stochastic", [](const Kernel& k) { return k.kernel->stochastic(); })
      .def_property_readonly("nfe_per_step", [](const Kernel& k) { return k.kernel->nfe_per_step(); })
      .def_property_readonly("model", [](const Kernel& k) { return k.model; })
      .def(
          "step",
          [](Kernel& k, const torch::Tensor& x, const py::object& t, const py::object& t_next, Generator& gen) {
            const torch::Tensor from = as_times(t, x.size(0)), to = as_times(t_next, x.size(0));
            return step_result(without_gil([&] { return k.kernel->step(x, from, to, gen.gen); }));
          },
          py::arg("x"), py::arg("t"), py::arg("t_next"), py::arg("generator"))
      .def("__repr__", [](const Kernel& k) { return "glass.Kernel(" + k.kernel->name() + ")"; });

  m.def(
      "sample",
      [](Kernel& k, int64_t n, std::optional<int> steps, std::optional<std::vector<double>> grid, Generator& gen,
         std::optional<torch::Tensor> x0, std::optional<py::function> callback) {
        const std::vector<double> g = outer_grid(*k.model, steps, grid);
        torch::Tensor x;
        if (x0) {
          x = *x0;
        } else {
          if (n < 1) throw std::invalid_argument("n: need at least 1 sample, got " + std::to_string(n));
          check_starts_from_noise(g, *k.model->flow, "sample");
          x = prior_noise(n, k.model->sample_shape, gen.gen, k.model->flow->device());
        }
        StepCallback on_step;
        if (callback)
          on_step = [progress = progress_callback(callback)](int s, int total, const torch::Tensor&) {
            progress(s, total);
          };
        const SampleResult r = without_gil([&] { return run_chain(*k.kernel, x, g, gen.gen, on_step); });
        py::dict d;
        d["x"] = r.x;
        d["nfe"] = r.nfe;
        d["grid"] = g;
        return make_result("SampleResult", d);
      },
      py::arg("kernel"), py::arg("n") = 0, py::kw_only(), py::arg("steps") = py::none(), py::arg("grid") = py::none(),
      py::arg("generator"), py::arg("x0") = py::none(), py::arg("callback") = py::none(),
      "n samples from the prior N(0, I) (or from x0) chained through the kernel over steps (uniform, or a DDPM "
      "model's table steps) or an explicit grid; callback(k, K) after each step. -> SampleResult.");

  m.def(
      "sample_posterior",
      [](const ModelPtr& model, const torch::Tensor& x, const py::object& t, int inner_steps, Generator& gen,
         const std::string& solver) {
        const torch::Tensor times = as_times(t, x.size(0));
        const InnerSolver s = parse_inner_solver(solver);
        return step_result(
            without_gil([&] { return sample_posterior(*model->flow, x, times, inner_steps, gen.gen, s); }));
      },
      py::arg("model"), py::arg("x"), py::arg("t"), py::kw_only(),
      py::arg("inner_steps") = posterior_defaults.inner_steps, py::arg("generator"),
      py::arg("solver") = inner_solver_name(posterior_defaults.solver),
      "z ~ p(z | x_t = x) by the GLASS transition to t' = 1 in inner_steps calls. -> StepResult.");

  m.def(
      "load_diamond",
      [](const std::string& dir, const ModelPtr& model) {
        if (!model) throw std::invalid_argument("load_diamond: needs the model the map was distilled from");
        return std::make_shared<Diamond>(
            Diamond{model, std::make_shared<DiamondMap>(load_diamond_map(dir, *model->flow))});
      },
      py::arg("path"), py::arg("model"),
      "A map saved by `glass distill` (DIR with diamond.json and diamond.pt), for the model it was distilled from.");
}

}  // namespace glass::python
