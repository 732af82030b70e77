#include "glass/guidance/guidance_scale.h"

#include <cmath>
#include <stdexcept>

namespace glass {

void GuidanceScale::validate(const std::string& what) const {
  if (!std::isfinite(scale)) throw std::invalid_argument(what + ": the guidance scale must be finite");
  if (!(t_min >= 0.0 && t_max <= 1.0 && t_min <= t_max))
    throw std::invalid_argument(what + ": the guidance window must satisfy 0 <= t_min <= t_max <= 1");
}

}  // namespace glass
