#include "glass/alignment/resampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "glass/util/enum_names.h"
#include "glass/util/parse.h"

namespace glass {

const NameTable<ResamplingScheme>& resampling_scheme_names() {
  static const NameTable<ResamplingScheme> table{
      {"multinomial", ResamplingScheme::Multinomial},
      {"stratified", ResamplingScheme::Stratified},
      {"systematic", ResamplingScheme::Systematic},
      {"residual", ResamplingScheme::Residual},
  };
  return table;
}

ResamplingScheme parse_resampling_scheme(const std::string& name) {
  return parse_named(resampling_scheme_names(), name, "resampling scheme");
}

std::string to_string(ResamplingScheme scheme) { return name_of(resampling_scheme_names(), scheme); }

namespace {

std::vector<double> uniforms(int64_t n, at::Generator& gen) {
  const torch::Tensor u = torch::rand({n}, gen, torch::kFloat64);
  return std::vector<double>(u.data_ptr<double>(), u.data_ptr<double>() + n);
}

// Inverse CDF at increasing points u in [0, 1): the ancestor of each point.
std::vector<int64_t> invert_cdf(const std::vector<double>& weights, const std::vector<double>& sorted_points) {
  std::vector<int64_t> out;
  out.reserve(sorted_points.size());
  const int64_t n = static_cast<int64_t>(weights.size());
  int64_t last_positive = n - 1;
  while (last_positive > 0 && weights[static_cast<size_t>(last_positive)] == 0.0) --last_positive;
  int64_t i = 0;
  double cumulative = weights[0];
  for (double u : sorted_points) {
    // Rounding can leave the last cumulative sum a hair below 1; never run past the end.
    while (u >= cumulative && i < n - 1) cumulative += weights[static_cast<size_t>(++i)];
    out.push_back(std::min(i, last_positive));
  }
  return out;
}

std::vector<double> sorted_uniforms(int64_t count, at::Generator& gen) {
  std::vector<double> u = uniforms(count, gen);
  std::sort(u.begin(), u.end());
  return u;
}

}  // namespace

std::vector<int64_t> resample(ResamplingScheme scheme, const std::vector<double>& weights, int64_t count,
                              at::Generator& gen) {
  if (weights.empty()) throw std::invalid_argument("resample: no weights");
  if (count < 1) throw std::invalid_argument("resample: count must be positive");
  double total = 0.0;
  for (double w : weights) {
    if (!(w >= 0.0) || !std::isfinite(w)) throw std::invalid_argument("resample: weights must be finite and >= 0");
    total += w;
  }
  if (std::abs(total - 1.0) > 1e-9) throw std::invalid_argument("resample: weights must sum to 1");

  switch (scheme) {
    case ResamplingScheme::Multinomial: return invert_cdf(weights, sorted_uniforms(count, gen));
    case ResamplingScheme::Stratified: {
      std::vector<double> u = uniforms(count, gen);
      for (int64_t i = 0; i < count; ++i)
        u[static_cast<size_t>(i)] = (static_cast<double>(i) + u[static_cast<size_t>(i)]) / static_cast<double>(count);
      return invert_cdf(weights, u);
    }
    case ResamplingScheme::Systematic: {
      const double shift = uniforms(1, gen)[0];
      std::vector<double> u(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i)
        u[static_cast<size_t>(i)] = (static_cast<double>(i) + shift) / static_cast<double>(count);
      return invert_cdf(weights, u);
    }
    case ResamplingScheme::Residual: {
      // floor(count w_i) copies for sure; the remaining R drawn multinomially from the remainders.
      std::vector<int64_t> out;
      std::vector<double> rest(weights.size());
      int64_t fixed = 0;
      for (size_t i = 0; i < weights.size(); ++i) {
        const double expected = static_cast<double>(count) * weights[i];
        const int64_t copies = static_cast<int64_t>(std::floor(expected));
        out.insert(out.end(), static_cast<size_t>(copies), static_cast<int64_t>(i));
        rest[i] = expected - static_cast<double>(copies);
        fixed += copies;
      }
      const int64_t remaining = count - fixed;
      if (remaining > 0) {
        const double rest_total = std::accumulate(rest.begin(), rest.end(), 0.0);
        for (double& r : rest) r /= rest_total;
        for (int64_t a : invert_cdf(rest, sorted_uniforms(remaining, gen))) out.push_back(a);
        std::sort(out.begin(), out.end());
      }
      return out;
    }
  }
  throw std::logic_error("resample: unknown scheme");
}

}  // namespace glass
