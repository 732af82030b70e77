// Schedules, models (files, exact mixtures, Python callables) and the Gaussian-mixture oracle.
#include "bindings.h"
#include "glass/schedules/ddpm_table.h"

namespace glass::python {

namespace {

// A Python callable (an nn.Module, a function) as the network: called back with (x, timestep,
// *conditioning) in its own convention, under the GIL. What it raises surfaces as the model's
// one-line error.
class PythonNetwork final : public ConditionalNetwork {
 public:
  PythonNetwork(py::function fn, std::string description) : fn_(std::move(fn)), description_(std::move(description)) {}
  ~PythonNetwork() override {
    py::gil_scoped_acquire gil;
    fn_ = py::function();
  }
  torch::Tensor forward_conditioned(const torch::Tensor& x, const torch::Tensor& timestep,
                                    const std::vector<torch::Tensor>& conditioning) override {
    std::vector<torch::Tensor> batched;
    for (const torch::Tensor& c : conditioning) batched.push_back(conditioning_for_batch(c, x.size(0)));
    py::gil_scoped_acquire gil;
    py::tuple args(2 + batched.size());
    args[0] = py::cast(x);
    args[1] = py::cast(timestep);
    for (size_t i = 0; i < batched.size(); ++i) args[2 + i] = py::cast(batched[i]);
    const py::object out = fn_(*args);
    if (!THPVariable_Check(out.ptr()))
      throw std::invalid_argument("returned a " + std::string(py::str(py::type::of(out).attr("__name__"))) +
                                  ", not a tensor");
    return py::cast<torch::Tensor>(out);
  }
  std::string describe() const override { return description_; }

 private:
  py::function fn_;
  std::string description_;
};

ModelSpec spec_from(const std::string& prediction, const std::string& time, double time_scale) {
  ModelSpec spec{parse_prediction(prediction), parse_time_convention(time), time_scale};
  spec.validate();
  return spec;
}

std::vector<int64_t> checked_shape(const std::vector<int64_t>& shape) {
  if (shape.empty()) throw std::invalid_argument("sample_shape: need at least one dimension, e.g. [2] or [1, 28, 28]");
  for (int64_t d : shape)
    if (d < 1) throw std::invalid_argument("sample_shape: every dimension must be positive");
  return shape;
}

// None, one tensor, or a list of tensors.
std::vector<torch::Tensor> tensor_list(const py::object& value) {
  if (value.is_none()) return {};
  if (THPVariable_Check(value.ptr())) return {py::cast<torch::Tensor>(value)};
  return py::cast<std::vector<torch::Tensor>>(value);
}

// device: a str or torch.device; dtype: None (the particles' float32), a str or a torch.dtype.
Placement placement_from(const py::object& device, const py::object& dtype) {
  Placement p{parse_device(py::str(device)), std::nullopt};
  if (!dtype.is_none()) {
    std::string name = py::str(dtype);
    if (name.rfind("torch.", 0) == 0) name = name.substr(6);
    p.network_dtype = parse_network_dtype(name);
  }
  return p;
}

const char* const kPlacementDoc =
    " device: where the network, particles, rewards and maps live ('cpu', 'cuda', 'cuda:N'); dtype: the network's "
    "precision (None: float32; torch.bfloat16, torch.float16 or their names); particles, the GLASS inner ODE, "
    "rewards and weights stay float32/float64.";

ModelPtr mixture_model(const GaussianMixture& mixture, const std::string& schedule, const py::object& device,
                       const py::object& dtype) {
  SchedulePtr s = make_schedule(schedule);
  auto flow = std::make_shared<NetworkFlowModel>(std::make_shared<MixtureNetwork>(mixture, s), s,
                                                 ModelSpec{Prediction::Denoiser, TimeConvention::FlowTime, 1.0});
  flow->place(placement_from(device, dtype));
  return std::make_shared<Model>(Model{flow, {mixture.dim()}, std::make_shared<GaussianMixture>(mixture)});
}

}  // namespace

void bind_models(py::module_& m) {
  py::class_<Schedule, std::shared_ptr<Schedule>>(m, "Schedule",
                                                  "x_t = alpha(t) z + sigma(t) eps; t = 0 noise, t = 1 data.")
      .def_property_readonly("name", &Schedule::name)
      .def("alpha", &Schedule::alpha, py::arg("t"))
      .def("sigma", &Schedule::sigma, py::arg("t"))
      .def("g", &Schedule::g, py::arg("t"))
      .def(
          "time_of_step",
          [](const Schedule& s, double k) {
            const auto* table = dynamic_cast<const DdpmTableSchedule*>(&s);
            if (!table) throw std::invalid_argument("time_of_step: '" + s.name() + "' is not a DDPM step table");
            return table->time_of_step(k);
          },
          py::arg("k"), "The library time of a DDPM table's step k (k = 0 the least noisy).")
      .def("__repr__", [](const Schedule& s) { return "glass.Schedule('" + s.name() + "')"; });
  m.def(
      "schedule", [](const std::string& spec) { return std::const_pointer_cast<Schedule>(make_schedule(spec)); },
      py::arg("spec"));

  py::class_<Model, ModelPtr>(
      m, "Model",
      "A flow model in library time: denoise(x, t) = E[z | x_t = x], velocity(x, t), its schedule, "
      "sample_shape and network-call cost. Made by load_model, mixture_model or python_model.")
      .def(
          "denoise",
          [](Model& md, const torch::Tensor& x, const py::object& t) {
            const torch::Tensor times = as_times(t, x.size(0));
            return without_gil([&] { return md.flow->denoise(x, times); });
          },
          py::arg("x"), py::arg("t"))
      .def(
          "velocity",
          [](Model& md, const torch::Tensor& x, const py::object& t) {
            const torch::Tensor times = as_times(t, x.size(0));
            return without_gil([&] { return md.flow->velocity(x, times); });
          },
          py::arg("x"), py::arg("t"))
      .def_property_readonly("sample_shape", [](const Model& md) { return md.sample_shape; })
      .def_property_readonly("schedule",
                             [](const Model& md) { return std::const_pointer_cast<Schedule>(md.flow->schedule_ptr()); })
      .def_property_readonly("prediction", [](const Model& md) { return to_string(md.flow->spec().prediction); })
      .def_property_readonly("device", [](const Model& md) { return md.flow->device().str(); })
      .def_property_readonly(
          "dtype",
          [](const Model& md) -> py::object {
            const auto* network = dynamic_cast<const NetworkFlowModel*>(md.flow.get());
            if (!network || !network->placement().network_dtype) return py::none();
            return py::str(dtype_name(*network->placement().network_dtype));
          },
          "The network's dtype; None: the particles' own (float32).")
      .def_property_readonly("cost", [](const Model& md) { return network_cost_dict(md.flow->cost()); })
      .def("reset_cost", [](Model& md) { md.flow->reset_cost(); })
      .def(
          "set_max_batch",
          [](Model& md, int64_t rows) {
            auto* network = dynamic_cast<NetworkFlowModel*>(md.flow.get());
            if (!network) throw std::invalid_argument("set_max_batch: this model has no network to chunk");
            if (rows < 0) throw std::invalid_argument("set_max_batch: need rows >= 0 (0: no limit)");
            network->set_max_batch(rows);
          },
          py::arg("rows"),
          "At most this many rows meet the network at once (0: no limit); a larger call is split into chunks and "
          "still counts as one network call. Bounds activation memory for many particles.")
      .def("describe", [](const Model& md) { return md.flow->describe(); })
      .def("__repr__", [](const Model& md) { return "glass.Model(" + md.flow->describe() + ")"; });

  m.def(
      "load_model",
      [](const std::string& path, std::optional<std::string> prediction, std::optional<std::string> time,
         std::optional<std::string> schedule, std::optional<double> time_scale,
         std::optional<std::vector<int64_t>> sample_shape, const py::object& device, const py::object& dtype,
         const py::object& cond, const py::object& uncond, std::optional<double> cfg) {
        ModelOverrides o;
        o.conditioning = Conditioning{tensor_list(cond), tensor_list(uncond), cfg};
        o.prediction = prediction;
        o.time = time;
        o.schedule = schedule;
        o.time_scale = time_scale;
        o.sample_shape = sample_shape;
        LoadedModelFile f = load_model_file(path, o, placement_from(device, dtype));
        return std::make_shared<Model>(Model{std::shared_ptr<FlowModel>(std::move(f.model)), f.sample_shape, nullptr});
      },
      py::arg("path"), py::arg("prediction") = py::none(), py::arg("time") = py::none(),
      py::arg("schedule") = py::none(), py::arg("time_scale") = py::none(), py::arg("sample_shape") = py::none(),
      py::arg("device") = "cpu", py::arg("dtype") = py::none(), py::arg("cond") = py::none(),
      py::arg("uncond") = py::none(), py::arg("cfg") = py::none(),
      (std::string(
           "A model file: a glass model.json, a TorchScript .pt or an AOTInductor .pt2 (settings from its .json "
           "sidecar or these keywords: prediction velocity|x0|noise|v_prediction, time t|sigma|ddpm, schedule, "
           "time_scale, sample_shape). cond: a tensor or a list of tensors the network takes after (x, t) "
           "(labels, embeddings; batch 1 is broadcast); with cfg=w, classifier-free guidance "
           "D_u + w (D_c - D_u) against uncond (the null label or embedding), both halves in one call of 2N "
           "rows (model.cost['rows'] counts both).") +
       kPlacementDoc)
          .c_str());

  m.def(
      "python_model",
      [](py::function fn, std::vector<int64_t> sample_shape, const std::string& schedule, const std::string& prediction,
         const std::string& time, double time_scale, std::optional<std::string> name, const py::object& device,
         const py::object& dtype, const py::object& cond, const py::object& uncond, std::optional<double> cfg) {
        const ModelSpec spec = spec_from(prediction, time, time_scale);
        SchedulePtr s = make_schedule(schedule);
        const std::string description = name ? *name : "python " + std::string(py::repr(fn));
        NetworkPtr network = with_conditioning(std::make_shared<PythonNetwork>(fn, description),
                                               Conditioning{tensor_list(cond), tensor_list(uncond), cfg});
        auto flow = std::make_shared<NetworkFlowModel>(network, s, spec);
        flow->place(placement_from(device, dtype));
        return std::make_shared<Model>(Model{flow, checked_shape(sample_shape), nullptr});
      },
      py::arg("network"), py::arg("sample_shape"), py::arg("schedule") = "condot", py::arg("prediction") = "velocity",
      py::arg("time") = "t", py::arg("time_scale") = 1.0, py::arg("name") = py::none(), py::arg("device") = "cpu",
      py::arg("dtype") = py::none(), py::arg("cond") = py::none(), py::arg("uncond") = py::none(),
      py::arg("cfg") = py::none(),
      (std::string("A Python callable network(x, timestep, *cond) -> prediction (an nn.Module, a function) as a model, "
                   "in its own convention: prediction velocity|x0|noise|v_prediction, time t|sigma|ddpm, time_scale. "
                   "Called back under the GIL, one call per batched network evaluation, counted like any network; its "
                   "inputs arrive on `device` in `dtype` (the module stays where the caller put it). cond, uncond, "
                   "cfg: as for load_model (conditioning tensors arrive with the batch of x).") +
       kPlacementDoc)
          .c_str());

  py::class_<GaussianMixture, std::shared_ptr<GaussianMixture>>(
      m, "GaussianMixture",
      "The exact oracle: an isotropic Gaussian mixture with closed-form posteriors, noisy densities and "
      "quadratic tilts (tilted(kappa, center, lam) -> (mixture, exact log Z)).")
      .def(py::init<torch::Tensor, torch::Tensor, torch::Tensor>(), py::arg("means"), py::arg("stds"),
           py::arg("weights"))
      .def_static("preset", &GaussianMixture::preset, py::arg("name"))
      .def_static("preset_names", &GaussianMixture::preset_names)
      .def_static("from_json", &GaussianMixture::from_json, py::arg("text"), py::arg("source") = "mixture JSON")
      .def("to_json", &GaussianMixture::to_json)
      .def_property_readonly("dim", &GaussianMixture::dim)
      .def_property_readonly("components", &GaussianMixture::components)
      .def_property_readonly("means", &GaussianMixture::means)
      .def_property_readonly("stds", &GaussianMixture::stds)
      .def_property_readonly("weights", &GaussianMixture::weights)
      .def(
          "sample", [](const GaussianMixture& g, int64_t n, Generator& gen) { return g.sample(n, gen.gen); },
          py::arg("n"), py::arg("generator"))
      .def(
          "sample_posterior",
          [](const GaussianMixture& g, const torch::Tensor& x, const torch::Tensor& alpha, const torch::Tensor& sigma,
             Generator& gen) { return g.sample_posterior(x, alpha, sigma, gen.gen); },
          py::arg("x"), py::arg("alpha"), py::arg("sigma"), py::arg("generator"))
      .def("log_prob_noisy", &GaussianMixture::log_prob_noisy, py::arg("x"), py::arg("alpha"), py::arg("sigma"))
      .def("denoise", &GaussianMixture::denoise, py::arg("x"), py::arg("alpha"), py::arg("sigma"))
      .def(
          "tilted",
          [](const GaussianMixture& g, double kappa, const torch::Tensor& center, double lam) {
            GaussianMixture::Tilted t = g.tilted(kappa, center, lam);
            return py::make_tuple(std::make_shared<GaussianMixture>(t.mixture), t.log_z);
          },
          py::arg("kappa"), py::arg("center"), py::arg("lam"));

  m.def("mixture_model", &mixture_model, py::arg("mixture"), py::arg("schedule") = "condot", py::arg("device") = "cpu",
        py::arg("dtype") = py::none(),
        "A model whose denoiser is the mixture's exact one (drives every kernel as a trained network would; "
        "the 'exact' kernel needs it).");
  m.def("energy_distance", &energy_distance, py::arg("x"), py::arg("y"),
        "Energy distance between two sample sets [N, d].");
}

}  // namespace glass::python
