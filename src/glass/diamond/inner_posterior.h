#pragma once
// The GLASS inner flow to t' = 1 that Diamond Maps distil (spec diamond-maps 1). The inner path
// xbar_s = s z + (1 - s) epsbar is a second measurement of z, independent of x_t's: pooled by
// precision, S = (alpha_t/sigma_t^2 x_t + s/(1-s)^2 xbar) / lam = z + noise of variance 1/lam with
// lam = alpha_t^2/sigma_t^2 + s^2/(1-s)^2, and E[z | x_t, xbar_s] = D_{t*}(alpha_{t*} S) with
// g(t*) = 1/lam. Its velocity is u = (E[z | x_t, xbar_s] - xbar) / (1 - s).
#include <torch/torch.h>

#include <vector>

#include "glass/models/flow_model.h"
#include "glass/transitions/precision_pooling.h"

namespace glass {

// The pooled input of one particle, alpha_{t*} S = cx x_t + cy xbar at model time t_star
// (pool_measurements with y = xbar_s). t in [0, 1), s in [0, 1).
PooledInput pooled_input(const Schedule& schedule, double t, double s);

// E[z | x_t, xbar_s] per particle from one batched call of `model` (differentiable when autograd is on).
torch::Tensor inner_posterior_denoiser(FlowModel& model, const torch::Tensor& x_t, const std::vector<double>& t,
                                       const torch::Tensor& xbar, const std::vector<double>& s);

// The inner time s* at which the pooled statistic has variance g(t'): one call of an exact map to
// s* and x_t' = alpha_t' S is exactly the DDPM transition t -> t' (spec diamond-maps 3).
// g_in(s) = ((1 - s)/s)^2 = g(t) g(t') / (g(t) - g(t')); needs t < t' < 1.
double early_stop_time(const Schedule& schedule, double t, double t_next);

}  // namespace glass
