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
      {"ssp", ResamplingScheme::Ssp},
      {"killing", ResamplingScheme::Killing},
  };
  return table;
}

ResamplingScheme parse_resampling_scheme(const std::string& name) {
  return parse_named(resampling_scheme_names(), name, "resampling scheme");
}

std::string to_string(ResamplingScheme scheme) { return name_of(resampling_scheme_names(), scheme); }

const NameTable<ResamplingOrder>& resampling_order_names() {
  static const NameTable<ResamplingOrder> table{
      {"index", ResamplingOrder::Index},
      {"reward", ResamplingOrder::Reward},
  };
  return table;
}

std::string to_string(ResamplingOrder order) { return name_of(resampling_order_names(), order); }

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

// Srinivasan's sampling process: each pair of open fractional parts (a, b) is resolved so that
// at least one becomes 0 or 1, keeping their sum and each one's expectation:
//   a + b < 1:  (a + b, 0) with probability a / (a + b), else (0, a + b)
//   a + b >= 1: (1, a + b - 1) with probability (1 - b) / (2 - a - b), else (a + b - 1, 1)
// The one left open at the end holds an integer (the fractions sum to one); rounding decides it.
std::vector<int64_t> ssp(const std::vector<double>& weights, int64_t count, at::Generator& gen) {
  const size_t n = weights.size();
  std::vector<int64_t> copies(n);
  std::vector<double> frac(n);
  for (size_t i = 0; i < n; ++i) {
    const double expected = static_cast<double>(count) * weights[i];
    copies[i] = static_cast<int64_t>(std::floor(expected));
    frac[i] = expected - static_cast<double>(copies[i]);
  }
  const std::vector<double> u = uniforms(static_cast<int64_t>(n), gen);
  constexpr double kResolved = 1e-12;
  const auto open = [&](size_t i) { return frac[i] > kResolved && frac[i] < 1.0 - kResolved; };
  size_t held = n;  // the index whose fraction is still open, if any
  for (size_t i = 0; i < n; ++i) {
    if (!open(i)) continue;
    if (held == n) {
      held = i;
      continue;
    }
    const double a = frac[held], b = frac[i];
    if (a + b < 1.0) {
      const bool to_held = u[i] < a / (a + b);
      frac[held] = to_held ? a + b : 0.0;
      frac[i] = to_held ? 0.0 : a + b;
    } else {
      const bool held_full = u[i] < (1.0 - b) / (2.0 - a - b);
      frac[held] = held_full ? 1.0 : a + b - 1.0;
      frac[i] = held_full ? a + b - 1.0 : 1.0;
    }
    if (!open(held)) held = open(i) ? i : n;
  }
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(count));
  for (size_t i = 0; i < n; ++i) {
    const int64_t k = copies[i] + (frac[i] >= 0.5 ? 1 : 0);
    out.insert(out.end(), static_cast<size_t>(k), static_cast<int64_t>(i));
  }
  // Rounding in count * w_i can leave the total one off: trim or pad with the heaviest particle.
  const int64_t heaviest = std::max_element(weights.begin(), weights.end()) - weights.begin();
  while (static_cast<int64_t>(out.size()) > count) out.erase(std::find(out.begin(), out.end(), heaviest));
  while (static_cast<int64_t>(out.size()) < count)
    out.insert(std::lower_bound(out.begin(), out.end(), heaviest), heaviest);
  return out;
}

// Killing: slot i keeps its particle with probability w_i / max w, or is refilled by a
// multinomial draw: E[offspring of i] = w_i / max w + E[killed] w_i = N w_i, since
// E[killed] = N - 1 / max w.
std::vector<int64_t> killing(const std::vector<double>& weights, int64_t count, at::Generator& gen) {
  const int64_t n = static_cast<int64_t>(weights.size());
  if (count != n) throw std::invalid_argument("resample: killing keeps the population's size (count must be N)");
  const double top = *std::max_element(weights.begin(), weights.end());
  const std::vector<double> u = uniforms(n, gen);
  std::vector<int64_t> out(static_cast<size_t>(n));
  int64_t killed = 0;
  for (int64_t i = 0; i < n; ++i) {
    const bool survives = u[static_cast<size_t>(i)] * top < weights[static_cast<size_t>(i)];
    out[static_cast<size_t>(i)] = survives ? i : -1;
    killed += survives ? 0 : 1;
  }
  if (killed == 0) return out;
  const std::vector<int64_t> refill = invert_cdf(weights, sorted_uniforms(killed, gen));
  size_t next = 0;
  for (int64_t& a : out)
    if (a < 0) a = refill[next++];
  return out;
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
    case ResamplingScheme::Ssp: return ssp(weights, count, gen);
    case ResamplingScheme::Killing: return killing(weights, count, gen);
  }
  throw std::logic_error("resample: unknown scheme");
}

std::vector<int64_t> resample_in_order(ResamplingScheme scheme, const std::vector<double>& weights,
                                       const std::vector<double>& keys, int64_t count, at::Generator& gen) {
  if (keys.size() != weights.size()) throw std::invalid_argument("resample: one key per weight");
  if (scheme == ResamplingScheme::Killing) return resample(scheme, weights, count, gen);  // slots, not order
  for (double k : keys)
    if (std::isnan(k)) throw std::invalid_argument("resample: a sort key is NaN");
  std::vector<int64_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return keys[static_cast<size_t>(a)] < keys[static_cast<size_t>(b)]; });
  std::vector<double> sorted(weights.size());
  for (size_t i = 0; i < order.size(); ++i) sorted[i] = weights[static_cast<size_t>(order[i])];
  std::vector<int64_t> out = resample(scheme, sorted, count, gen);
  for (int64_t& a : out) a = order[static_cast<size_t>(a)];
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace glass
