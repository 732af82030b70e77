// Alignment: SMC and best-of-N on a kernel, and the Aligner that plans and runs every method at
// equal compute (plain, guidance, value guidance, best-of-N, SMC alone or with either guidance).
#include "bindings.h"

namespace glass::python {

namespace {

// The SMC and value settings shared by glass.smc and glass.Aligner, from their keyword arguments.
struct SmcKeywords {
  int64_t particles;
  double lam;
  std::string potential, resampling, resample_order, allocation, intermediate, value_solver;
  double ess_threshold, tempering_ess;
  bool final_correction;
  int value_samples, value_inner_steps;
  std::optional<DiamondPtr> value_diamond;
  std::vector<int> multilevel_samples;
  std::vector<std::pair<double, double>> funnel;  // (from, share)
  bool prune;

  SmcOptions options(const Model& model) const {
    SmcOptions o;
    o.particles = particles;
    o.lambda = lam;
    o.potential = parse_potential(potential);
    o.resampling = parse_resampling_scheme(resampling);
    o.resampling_order = parse_named(resampling_order_names(), resample_order, "resample_order");
    o.allocation = parse_named(allocation_names(), allocation, "allocation");
    o.ess_threshold = ess_threshold;
    o.tempering_ess = tempering_ess;
    o.final_correction = final_correction;
    o.intermediate = parse_intermediate_reward(intermediate);
    o.value.samples = value_samples;
    o.value.inner_steps = value_inner_steps;
    o.value.solver = parse_inner_solver(value_solver);
    o.multilevel.samples = multilevel_samples;
    for (const auto& [from, share] : funnel) o.funnel.push_back({from, share});
    o.prune = prune;
    if (value_diamond && *value_diamond) {
      if (&(*value_diamond)->map->model() != model.flow.get())
        throw std::invalid_argument("value_diamond: the Diamond Map was loaded for another model");
      // Value estimates draw from the map; multilevel ones take it as their level 0.
      o.value.sampler = o.multilevel.base = std::make_shared<DiamondPosteriorSampler>((*value_diamond)->map);
    }
    o.validate();
    return o;
  }
};

py::object smc_result(const SmcResult& r) {
  py::list steps;
  for (const SmcStep& s : r.steps) {
    py::dict d;
    d["t"] = s.t;
    d["lam"] = s.lambda;
    d["ess"] = s.ess;
    d["resampled"] = s.resampled;
    d["distinct_parents"] = s.distinct_parents;
    d["surviving_lineages"] = s.surviving_lineages;
    d["floored_constraints"] = s.floored_constraints;
    d["rewards"] = s.rewards;
    d["log_weights"] = s.log_weights;
    steps.append(make_result("SmcStep", d));
  }
  py::dict d;
  d["samples"] = r.samples;
  d["sample_rewards"] = r.sample_rewards;
  d["sample_weights"] = r.sample_weights;
  d["particles"] = r.particles;
  d["log_weights"] = r.log_weights;
  d["rewards"] = r.rewards;
  d["log_z"] = r.log_z;
  d["steps"] = steps;
  d["cost"] = alignment_cost_result(r.cost);
  return make_result("SmcResult", d);
}

py::object best_of_n_result(const BestOfNResult& r) {
  py::dict d;
  d["samples"] = r.samples;
  d["sample_rewards"] = r.sample_rewards;
  d["sample_weights"] = r.sample_weights;
  d["rewards"] = r.rewards;
  d["cost"] = alignment_cost_result(r.cost);
  return make_result("BestOfNResult", d);
}

py::object plan_result(const MethodPlan& p) {
  py::dict d;
  d["method"] = name_of(alignment_method_names(), p.method);
  d["particles"] = p.particles;
  d["nfe_per_particle"] = p.nfe_per_particle;
  d["rows_per_call"] = p.rows_per_call;
  d["nfe_per_output"] = p.nfe_per_output();
  d["peak_rows_per_output"] = p.peak_rows_per_output;
  d["prunes"] = p.prunes;
  return make_result("MethodPlan", d);
}

void require_model(const KernelPtr& kernel, const RewardPtr& reward, const char* who) {
  if (!kernel || !reward) throw std::invalid_argument(std::string(who) + ": needs a kernel and a reward");
}

// An aligner with the model, kernel and reward it uses kept alive.
struct AlignerHandle {
  KernelPtr kernel;
  RewardPtr reward;
  std::unique_ptr<Aligner> aligner;
};

}  // namespace

void bind_alignment(py::module_& m) {
  const SmcOptions smc_defaults;
  const ValueOptions value_defaults;
  // The SMC keyword arguments, the same for glass.smc and glass.Aligner, with the library's defaults.
  auto smc_args = [&](int64_t particles_default) {
    return std::make_tuple(
        py::arg("particles") = particles_default, py::arg("lam") = smc_defaults.lambda,
        py::arg("potential") = to_string(smc_defaults.potential),
        py::arg("resampling") = to_string(smc_defaults.resampling),
        py::arg("resample_order") = to_string(smc_defaults.resampling_order),
        py::arg("allocation") = to_string(smc_defaults.allocation),
        py::arg("ess_threshold") = smc_defaults.ess_threshold, py::arg("tempering_ess") = smc_defaults.tempering_ess,
        py::arg("final_correction") = smc_defaults.final_correction,
        py::arg("intermediate") = to_string(smc_defaults.intermediate),
        py::arg("value_samples") = value_defaults.samples, py::arg("value_inner_steps") = value_defaults.inner_steps,
        py::arg("value_solver") = inner_solver_name(value_defaults.solver), py::arg("value_diamond") = py::none(),
        py::arg("multilevel_samples") = smc_defaults.multilevel.samples,
        py::arg("funnel") = std::vector<std::pair<double, double>>{}, py::arg("prune") = smc_defaults.prune);
  };

  std::apply(
      [&](auto... smc) {
        m.def(
            "smc",
            [](const KernelPtr& kernel, const RewardPtr& reward, int64_t groups, std::optional<int> steps,
               std::optional<std::vector<double>> grid, Generator& gen, std::optional<py::function> callback,
               std::string select, int64_t particles, double lam, std::string potential, std::string resampling,
               std::string resample_order, std::string allocation, double ess_threshold, double tempering_ess,
               bool final_correction, std::string intermediate, int value_samples, int value_inner_steps,
               std::string value_solver, std::optional<DiamondPtr> value_diamond, std::vector<int> multilevel_samples,
               std::vector<std::pair<double, double>> funnel, bool prune) {
              require_model(kernel, reward, "smc");
              if (groups < 1) throw std::invalid_argument("groups: need at least 1, got " + std::to_string(groups));
              const Model& model = *kernel->model;
              const SmcKeywords k{particles,        lam,           potential,         resampling,    resample_order,
                                  allocation,       intermediate,  value_solver,      ess_threshold, tempering_ess,
                                  final_correction, value_samples, value_inner_steps, value_diamond, multilevel_samples,
                                  funnel,           prune};
              SmcOptions o = k.options(model);
              o.select = parse_named(selection_names(), select, "select");
              const std::vector<double> g = outer_grid(model, steps, grid);
              check_starts_from_noise(g, *model.flow, "smc");
              const AlignmentCallback on_step = progress_callback(callback);
              return smc_result(without_gil([&] {
                return run_smc(*model.flow, *kernel->kernel, *reward, g, groups, model.sample_shape, o, gen.gen,
                               on_step);
              }));
            },
            py::arg("kernel"), py::arg("reward"), py::arg("groups") = 1, py::kw_only(), py::arg("steps") = py::none(),
            py::arg("grid") = py::none(), py::arg("generator"), py::arg("callback") = py::none(),
            py::arg("select") = to_string(smc_defaults.select), smc...);
      },
      smc_args(smc_defaults.particles));

  m.def(
      "best_of_n",
      [](const KernelPtr& kernel, const RewardPtr& reward, int64_t groups, int64_t candidates, std::optional<int> steps,
         std::optional<std::vector<double>> grid, Generator& gen, std::optional<py::function> callback,
         const std::string& select, double lam) {
        require_model(kernel, reward, "best_of_n");
        const BestOfNSelection choose{parse_named(selection_names(), select, "select"), lam};
        if (groups < 1 || candidates < 1)
          throw std::invalid_argument("best_of_n: need at least one group and one candidate");
        const Model& model = *kernel->model;
        const std::vector<double> g = outer_grid(model, steps, grid);
        check_starts_from_noise(g, *model.flow, "best_of_n");
        const AlignmentCallback on_step = progress_callback(callback);
        return best_of_n_result(without_gil([&] {
          return best_of_n(*model.flow, *kernel->kernel, *reward, g, groups, candidates, model.sample_shape, gen.gen,
                           on_step, choose);
        }));
      },
      py::arg("kernel"), py::arg("reward"), py::arg("groups") = 1, py::arg("candidates") = 8, py::kw_only(),
      py::arg("steps") = py::none(), py::arg("grid") = py::none(), py::arg("generator"),
      py::arg("callback") = py::none(), py::arg("select") = to_string(BestOfNSelection{}.select),
      py::arg("lam") = BestOfNSelection{}.lambda);

  const AlignmentSettings settings_defaults;
  std::apply(
      [&](auto... smc) {
        py::class_<AlignerHandle, std::shared_ptr<AlignerHandle>>(m, "Aligner")
            .def(
                py::init(
                    [](const KernelPtr& kernel, const RewardPtr& reward, std::optional<int> steps,
                       std::optional<std::vector<double>> grid, double max_nfe, double guidance_scale,
                       double value_guidance_scale, std::pair<double, double> guidance_window, bool guidance_detached,
                       std::optional<std::string> select, int64_t particles, double lam, std::string potential,
                       std::string resampling, std::string resample_order, std::string allocation, double ess_threshold,
                       double tempering_ess, bool final_correction, std::string intermediate, int value_samples,
                       int value_inner_steps, std::string value_solver, std::optional<DiamondPtr> value_diamond,
                       std::vector<int> multilevel_samples, std::vector<std::pair<double, double>> funnel, bool prune) {
                      require_model(kernel, reward, "Aligner");
                      const Model& model = *kernel->model;
                      const SmcKeywords k{
                          particles,        lam,           potential,         resampling,    resample_order,
                          allocation,       intermediate,  value_solver,      ess_threshold, tempering_ess,
                          final_correction, value_samples, value_inner_steps, value_diamond, multilevel_samples,
                          funnel,           prune};
                      AlignmentSettings s;
                      if (select) s.select = parse_named(selection_names(), *select, "select");
                      // particles = 0 leaves the count to the budget; SmcOptions needs a positive one.
                      SmcKeywords for_options = k;
                      if (for_options.particles == 0) for_options.particles = s.smc.particles;
                      s.smc = for_options.options(model);
                      s.particles = particles;
                      s.max_nfe = max_nfe;
                      s.guidance = GuidanceScale{guidance_scale, guidance_window.first, guidance_window.second};
                      s.value_guidance =
                          GuidanceScale{value_guidance_scale, guidance_window.first, guidance_window.second};
                      s.guidance_detached = guidance_detached;
                      s.validate();
                      const std::vector<double> g = outer_grid(model, steps, grid);
                      check_starts_from_noise(g, *model.flow, "Aligner");
                      auto h = std::make_shared<AlignerHandle>();
                      h->kernel = kernel;
                      h->reward = reward;
                      h->aligner =
                          std::make_unique<Aligner>(*model.flow, kernel_factory(kernel->choice, model.mixture.get()),
                                                    reward, g, model.sample_shape, s);
                      return h;
                    }),
                py::arg("kernel"), py::arg("reward"), py::kw_only(), py::arg("steps") = py::none(),
                py::arg("grid") = py::none(), py::arg("max_nfe") = settings_defaults.max_nfe,
                py::arg("guidance_scale") = settings_defaults.guidance.scale,
                py::arg("value_guidance_scale") = settings_defaults.value_guidance.scale,
                py::arg("guidance_window") =
                    std::make_pair(settings_defaults.guidance.t_min, settings_defaults.guidance.t_max),
                py::arg("guidance_detached") = settings_defaults.guidance_detached, py::arg("select") = py::none(),
                smc...)
            .def_property_readonly("budget", [](const AlignerHandle& h) { return h.aligner->budget(); })
            .def(
                "plan",
                [](const AlignerHandle& h, const std::string& method) {
                  return plan_result(h.aligner->plan(parse_named(alignment_method_names(), method, "method")));
                },
                py::arg("method"))
            .def(
                "run",
                [](AlignerHandle& h, const std::string& method, int64_t outputs, Generator& gen,
                   std::optional<py::function> callback) {
                  if (outputs < 1)
                    throw std::invalid_argument("outputs: need at least 1, got " + std::to_string(outputs));
                  const MethodPlan plan = h.aligner->plan(parse_named(alignment_method_names(), method, "method"));
                  const AlignmentCallback on_step = progress_callback(callback);
                  const AlignmentRun r = without_gil([&] { return h.aligner->run(plan, outputs, gen.gen, on_step); });
                  py::dict d;
                  d["plan"] = plan_result(r.plan);
                  d["samples"] = r.samples;
                  d["rewards"] = r.rewards;
                  d["weights"] = r.weights;
                  d["select"] = to_string(r.select);
                  d["cost"] = alignment_cost_result(r.cost);
                  d["seconds"] = r.seconds;
                  d["exact_target"] = r.exact_target;
                  d["smc"] = r.smc ? smc_result(*r.smc) : py::none();
                  d["best_of_n"] = r.best_of_n ? best_of_n_result(*r.best_of_n) : py::none();
                  return make_result("AlignmentRun", d);
                },
                py::arg("method"), py::arg("outputs") = 1, py::kw_only(), py::arg("generator"),
                py::arg("callback") = py::none());
      },
      smc_args(0));
  m.attr("METHODS") = offered_names(alignment_method_names());

  // The library's own defaults, read from its option structs: what the command's --help and these
  // keyword arguments must show (python/tests/test_defaults.py holds the three side by side).
  m.def("library_defaults", [] {
    const KernelChoice k;
    const SmcOptions smc;
    const ValueOptions& value = smc.value;
    py::dict d;
    d["kernel"] = name_of(kernel_kind_names(), k.kind);
    d["rho"] = k.glass.rho.name();
    d["inner_steps"] = k.glass.inner_steps;
    d["inner_solver"] = inner_solver_name(k.glass.solver);
    d["sbar_init"] = k.glass.sbar_init;
    d["ode_method"] = name_of(ode_method_names(), k.ode_method);
    d["diffusion"] = name_of(diffusion_names(), k.sde.diffusion);
    d["substeps"] = k.sde.substeps;
    d["lambda"] = smc.lambda;
    d["potential"] = to_string(smc.potential);
    d["resampling"] = to_string(smc.resampling);
    d["resample_order"] = to_string(smc.resampling_order);
    d["allocation"] = to_string(smc.allocation);
    d["ess_threshold"] = smc.ess_threshold;
    d["tempering_ess"] = smc.tempering_ess;
    d["intermediate"] = to_string(smc.intermediate);
    d["value_samples"] = value.samples;
    d["value_steps"] = value.inner_steps;
    d["value_solver"] = inner_solver_name(value.solver);
    return d;
  });
}

}  // namespace glass::python
