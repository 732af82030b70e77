#include "glass/schedules/cosine.h"

#include <cmath>

namespace glass {

namespace {
constexpr double kHalfPi = 1.5707963267948966;
}

double CosineSchedule::alpha(double t) const { return std::sin(kHalfPi * t); }
// At t = 1, cos(pi/2) is 6e-17, not 0; the boundary must be exact (sigma_1 = 0).
double CosineSchedule::sigma(double t) const { return t >= 1.0 ? 0.0 : std::cos(kHalfPi * t); }
double CosineSchedule::d_alpha(double t) const { return kHalfPi * std::cos(kHalfPi * t); }
double CosineSchedule::d_sigma(double t) const { return -kHalfPi * std::sin(kHalfPi * t); }
// cot^2(pi t / 2) = r  =>  t = (2/pi) atan(1 / sqrt(r)).
double CosineSchedule::inv_g(double r) const { return std::atan(1.0 / std::sqrt(r)) / kHalfPi; }

}  // namespace glass
