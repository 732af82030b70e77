#pragma once
// The model boundary. Samplers speak library time (t = 0 noise, t = 1 data, per particle, float64)
// and ask for a denoiser D_t(x) = E[z | x_t = x] or a velocity u_t(x). This class converts to the
// network's time convention and from its parameterisation, and counts every network call.
#include <torch/torch.h>

#include <memory>

#include "glass/guidance/denoiser_guidance.h"
#include "glass/models/model_spec.h"
#include "glass/models/network.h"
#include "glass/schedules/schedule.h"

namespace glass {

class DDPMTableSchedule;

struct NetworkCost {
  int64_t calls = 0;  // batched network evaluations (NFE of one particle when all move together)
  int64_t rows = 0;   // particle evaluations summed over calls
  int64_t gradient_calls = 0;  // backward passes through the network (full denoiser guidance)
  // Models on integer DDPM steps: the largest |t - t_step| of a call, in table steps (0 when every
  // call landed on the table; up to 0.5 when a time between steps was rounded).
  double max_step_rounding = 0.0;
};

class FlowModel {
 public:
  FlowModel(NetworkPtr network, SchedulePtr schedule, ModelSpec spec);

  // x: [N, ...]; t: float64 [N] (or a scalar for all particles). Both include the denoiser
  // guidance when one is installed and not paused.
  torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& t);
  torch::Tensor velocity(const torch::Tensor& x, const torch::Tensor& t);

  // Installs (or, with nullptr, removes) reward guidance of the denoiser.
  void set_guidance(std::shared_ptr<const DenoiserGuidance> guidance);
  const DenoiserGuidance* guidance() const { return guidance_.get(); }
  // While alive, the model is guided by `guidance` (nullptr: unguided); the previous guidance
  // returns when it ends, also when an exception unwinds through it.
  class GuidanceScope {
   public:
    GuidanceScope(FlowModel& m, std::shared_ptr<const DenoiserGuidance> guidance) : model_(m), was_(m.guidance_) {
      m.set_guidance(std::move(guidance));
    }
    ~GuidanceScope() { model_.guidance_ = was_; }
    GuidanceScope(const GuidanceScope&) = delete;
    GuidanceScope& operator=(const GuidanceScope&) = delete;

   private:
    FlowModel& model_;
    std::shared_ptr<const DenoiserGuidance> was_;
  };
  // While alive, the model is unguided (potentials and value estimates score the plain model).
  class GuidancePause {
   public:
    explicit GuidancePause(FlowModel& m) : model_(m), was_(m.guidance_paused_) { m.guidance_paused_ = true; }
    ~GuidancePause() { model_.guidance_paused_ = was_; }
    GuidancePause(const GuidancePause&) = delete;
    GuidancePause& operator=(const GuidancePause&) = delete;

   private:
    FlowModel& model_;
    bool was_;
  };

  const Schedule& schedule() const { return *schedule_; }
  const SchedulePtr& schedule_ptr() const { return schedule_; }
  const ModelSpec& spec() const { return spec_; }
  // At most this many rows go through the network at once (0: no limit): a call on more particles
  // is split into chunks, so memory for activations stays bounded. Still one call in the NFE count.
  // Per-particle conditioning tensors (batch > 1) cannot be chunked; batch-1 ones are broadcast.
  void set_max_batch(int64_t rows);
  int64_t max_batch() const { return max_batch_; }

  const NetworkCost& cost() const { return cost_; }
  void reset_cost() { cost_ = {}; }
  std::string describe() const;

  // The time the network is really evaluated at: t itself, or t snapped to the DDPM grid.
  double effective_time(double t) const;

 private:
  // Calls the network at the effective times; returns its prediction with a velocity already turned
  // into dx/dt of library time (the only conversion that does not need the schedule).
  torch::Tensor call_network(const torch::Tensor& x, const std::vector<double>& t_eff);
  std::vector<double> effective_times(const torch::Tensor& t, int64_t n);
  // The denoiser from the network's raw prediction at the effective times.
  torch::Tensor to_denoiser(const torch::Tensor& x, const torch::Tensor& out, const std::vector<double>& te) const;
  // Guidance factors per particle, or empty when guidance is off for all of them.
  std::vector<double> guidance_coefficients(const std::vector<double>& te) const;
  struct Guided {
    torch::Tensor out, denoised, shift;  // raw prediction, plain D, and the guidance shift of D
  };
  Guided guided_prediction(const torch::Tensor& x, const std::vector<double>& te, const std::vector<double>& coef);

  NetworkPtr network_;
  SchedulePtr schedule_;
  ModelSpec spec_;
  const DDPMTableSchedule* ddpm_table_ = nullptr;  // set for the DDPM-step convention
  NetworkCost cost_;
  int64_t max_batch_ = 0;
  std::shared_ptr<const DenoiserGuidance> guidance_;
  bool guidance_paused_ = false;
};

}  // namespace glass
