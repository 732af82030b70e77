#pragma once
// A FlowModel whose denoiser is tilted by a reward (DenoiserGuidance) and which is otherwise the
// model it wraps: same schedule, same conventions, and its network calls count on that model. The
// wrapped model is never changed, so potentials and value estimates keep scoring the plain model
// while a kernel built on the wrapper moves with the guided one.
#include <memory>
#include <vector>

#include "glass/guidance/denoiser_guidance.h"
#include "glass/models/flow_model.h"

namespace glass {

class GuidedFlowModel final : public FlowModel {
 public:
  // `base` must outlive the wrapper.
  GuidedFlowModel(FlowModel& base, DenoiserGuidance guidance);

  torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& t) override;
  torch::Tensor velocity(const torch::Tensor& x, const torch::Tensor& t) override;

  const SchedulePtr& schedule_ptr() const override { return base_.schedule_ptr(); }
  const ModelSpec& spec() const override { return base_.spec(); }
  torch::Device device() const override { return base_.device(); }
  double effective_time(double t) const override { return base_.effective_time(t); }
  const NetworkCost& cost() const override { return base_.cost(); }
  void reset_cost() override { base_.reset_cost(); }
  int64_t rows_per_particle() const override { return base_.rows_per_particle(); }
  void count_backward_pass() override { base_.count_backward_pass(); }
  void count_stand_in_call(int64_t rows) override { base_.count_stand_in_call(rows); }
  std::string describe() const override;

  const DenoiserGuidance& guidance() const { return guidance_; }
  FlowModel& base() const { return base_; }

 private:
  // The plain prediction and the guidance shift of D at the effective times `te`.
  struct Guided {
    torch::Tensor prediction;  // the base's D, or its u for a velocity model
    torch::Tensor denoised;    // the base's D
    torch::Tensor shift;       // what guidance adds to D
  };
  Guided guided(const torch::Tensor& x, const torch::Tensor& t, const std::vector<double>& te,
                const std::vector<double>& coef, bool want_velocity);
  std::vector<double> effective_times(const torch::Tensor& t, int64_t n) const;

  FlowModel& base_;
  DenoiserGuidance guidance_;
};

}  // namespace glass
