#pragma once
// The GLASS denoiser's input (spec glass-math 2): x_t = alpha z + sigma eps and the inner point
// y = a z + b eps' are two independent measurements of z. Pooled by precision,
//   S = (alpha/sigma^2 x_t + a/b^2 y) / lam = z + noise of variance 1/lam,
//   lam = (alpha/sigma)^2 + (a/b)^2,
// so E[z | x_t, y] = D_{t*}(alpha_{t*} S) with g(t*) = 1/lam: one call of the model at time t*
// on the input cx x_t + cy y. GLASS transitions and Diamond Maps both ask the model this way.
#include "glass/schedules/schedule.h"

namespace glass {

struct PooledInput {
  double lam, t_star, cx, cy;  // the model's input alpha_{t*} S = cx x_t + cy y at time t_star
};

// sigma > 0 and b > 0. With nothing observed (alpha = a = 0, lam = 0) the input is x_t / sigma at
// t* = 0, where D is the data mean whatever its input. t* stays below 1 (the singular end point).
PooledInput pool_measurements(const Schedule& schedule, double alpha, double sigma, double a, double b);

}  // namespace glass
