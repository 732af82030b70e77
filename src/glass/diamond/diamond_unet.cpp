#include "glass/diamond/diamond_unet.h"

#include <cmath>
#include <stdexcept>

#include "glass/diamond/inner_posterior.h"
#include "glass/models/model_file.h"
#include "glass/models/parameterisation.h"
#include "glass/util/particle_scalars.h"

namespace glass {

namespace {
// The flow U-Net's time embedding width for base width w (make_native_net).
int64_t time_dim(int64_t width) { return 4 * width; }
}  // namespace

DiamondUnetImpl::DiamondUnetImpl(const DiamondNetConfig& c, SchedulePtr schedule)
    : config_(c), schedule_(std::move(schedule)) {
  c.validate();
  if (c.arch != "unet") throw std::invalid_argument("diamond unet: the config's arch is " + c.arch);
  if (!schedule_) throw std::invalid_argument("diamond unet: needs the teacher's schedule");
  const int64_t channels = c.sample_shape[0], td = time_dim(c.width);
  frequencies_ = register_buffer("frequencies", torch::exp(torch::linspace(0.0, std::log(100.0), c.time_features)));
  body_ = register_module("body", Unet(UnetOptions{3 * channels, c.width, td, channels}));
  condition_ = register_module("condition", torch::nn::Sequential(torch::nn::Linear(3 * (1 + 2 * c.time_features), td),
                                                                  torch::nn::SiLU(), torch::nn::Linear(td, td)));
  // The extra conditioning starts as nothing (adaLN-zero style), so a student copied from a flow
  // network computes the flow network's denoiser.
  const auto last = condition_->ptr<torch::nn::LinearImpl>(2);
  torch::NoGradGuard no_grad;
  last->weight.zero_();
  last->bias.zero_();
}

torch::Tensor DiamondUnetImpl::forward(const torch::Tensor& xbar, const torch::Tensor& x_t,
                                       const std::vector<double>& t, const std::vector<double>& s,
                                       const std::vector<double>& ds, const DsTangent* ds_tangent) {
  const size_t n = static_cast<size_t>(x_t.size(0));
  if (t.size() != n || s.size() != n || ds.size() != n)
    throw std::invalid_argument("diamond unet: one t, s and s' - s per particle");
  std::vector<double> cx(n), cy(n), t_star(n);
  for (size_t i = 0; i < n; ++i) {
    const PooledInput p = pooled_input(*schedule_, t[i], s[i]);
    cx[i] = p.cx;
    cy[i] = p.cy;
    t_star[i] = p.t_star;
  }
  const torch::Tensor pooled = scaled_sum(cx, x_t, cy, xbar);
  const torch::Tensor offset =
      condition_->forward(scalar_features({&t, &s, &ds}, frequencies_, x_t.options(), ds_tangent));
  const torch::Tensor out =
      body_->forward(torch::cat({pooled, xbar, x_t}, 1), times_tensor(t_star).to(x_t.scalar_type()), offset);
  return denoiser_from_prediction(*schedule_, config_.prediction, pooled, out, t_star);
}

void initialise_from_flow_unet(torch::nn::Module& student, const DiamondNetConfig& config,
                               const NativeModelFile& flow) {
  const NativeNetConfig& f = flow.config;
  auto refuse = [](const std::string& why) {
    throw std::invalid_argument("diamond unet: cannot start from this flow network: " + why);
  };
  if (config.arch != "unet" || f.arch != "unet") refuse("both must be U-Nets");
  if (f.sample_shape != config.sample_shape) refuse("its samples have another shape");
  if (f.width != config.width)
    refuse("its width is " + std::to_string(f.width) + ", the student's " + std::to_string(config.width));
  if (f.prediction != config.prediction)
    refuse("it predicts " + to_string(f.prediction) + ", the student " + to_string(config.prediction));
  if (f.time != TimeConvention::FlowTime || f.time_scale != 1.0) refuse("it must read flow time t unscaled");

  torch::NoGradGuard no_grad;
  auto targets = student.named_parameters(true);
  auto target_buffers = student.named_buffers(true);
  auto copy = [&](const std::string& name, const torch::Tensor& source) {
    torch::Tensor* target = targets.find("body." + name);
    if (!target) target = target_buffers.find("body." + name);
    if (!target) refuse("the student has no " + name);
    if (target->sizes() == source.sizes()) {
      target->copy_(source);
    } else if (name == "stem.weight" && target->dim() == 4 && target->size(1) == 3 * source.size(1)) {
      target->zero_();
      target->narrow(1, 0, source.size(1)).copy_(source);  // the x* channels; xbar and x_t start unused
    } else {
      refuse(name + " has shape " + c10::str(source.sizes()) + ", the student's " + c10::str(target->sizes()));
    }
  };
  for (const auto& p : flow.net.module->named_parameters(true)) copy(p.key(), p.value());
  for (const auto& b : flow.net.module->named_buffers(true)) copy(b.key(), b.value());
}

}  // namespace glass
