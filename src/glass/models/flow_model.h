#pragma once
// What every sampler moves with: a denoiser D_t(x) = E[z | x_t = x] and a velocity u_t(x) in
// library time (t = 0 noise, t = 1 data, per particle, float64), the schedule they belong to, and
// the network calls they cost. NetworkFlowModel (network_flow_model.h) is the model itself;
// wrappers (guidance/guided_flow_model.h) change what it predicts without touching it.
#include <torch/torch.h>

#include <string>

#include "glass/models/model_spec.h"
#include "glass/schedules/schedule.h"

namespace glass {

struct NetworkCost {
  int64_t calls = 0;           // batched network evaluations (NFE of one particle when all move together)
  int64_t rows = 0;            // rows evaluated, summed over calls (2 per particle under classifier-free guidance)
  int64_t gradient_calls = 0;  // backward passes through the network (full denoiser guidance)
  // Models on integer DDPM steps: the largest |t - t_step| of a call, in table steps (0 when every
  // call landed on the table; up to 0.5 when a time between steps was rounded).
  double max_step_rounding = 0.0;
};

class FlowModel {
 public:
  virtual ~FlowModel() = default;

  // x: [N, ...]; t: float64 [N] (or a scalar for all particles). Differentiable in x when autograd
  // is on.
  virtual torch::Tensor denoise(const torch::Tensor& x, const torch::Tensor& t) = 0;
  virtual torch::Tensor velocity(const torch::Tensor& x, const torch::Tensor& t) = 0;

  virtual const SchedulePtr& schedule_ptr() const = 0;
  const Schedule& schedule() const { return *schedule_ptr(); }
  virtual const ModelSpec& spec() const = 0;
  // Where the particles live: the network's device (models/placement.h). Samplers draw their
  // starting noise for it.
  virtual torch::Device device() const = 0;
  // The time the network is really evaluated at: t itself, or t snapped to the DDPM grid.
  virtual double effective_time(double t) const = 0;

  // What the network has spent since the last reset, wrappers' calls included.
  virtual const NetworkCost& cost() const = 0;
  virtual void reset_cost() = 0;
  // A caller that backpropagates through the network says so, so the cost counts it.
  virtual void count_backward_pass() = 0;
  // A network that stands in for this one (a map distilled from it) counts its calls here: one
  // batched call of `rows` particles, in the same NFE as the model's own.
  virtual void count_stand_in_call(int64_t rows) = 0;
  // Rows the network evaluates per particle in one call: 2 under classifier-free guidance, else 1.
  // Budgets count rows (the compute), as NetworkCost does.
  virtual int64_t rows_per_particle() const { return 1; }

  virtual std::string describe() const = 0;
};

}  // namespace glass
