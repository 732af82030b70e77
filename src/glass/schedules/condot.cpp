#include "glass/schedules/condot.h"

#include <cmath>

namespace glass {

// (1 - t) / t = sqrt(r)  =>  t = 1 / (1 + sqrt(r)); also right for r = inf (t = 0).
double CondOtSchedule::inv_g(double r) const { return 1.0 / (1.0 + std::sqrt(r)); }

}  // namespace glass
