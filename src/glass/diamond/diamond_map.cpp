#include "glass/diamond/diamond_map.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "glass/diamond/inner_posterior.h"
#include "glass/models/native_net.h"
#include "glass/util/parse.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"
#include "glass/util/row_chunks.h"

namespace glass {

DiamondMap::DiamondMap(DiamondNet net, DiamondNetConfig config, FlowModel& model, std::string description)
    : net_(std::move(net)), config_(std::move(config)), model_(model), description_(std::move(description)) {
  config_.validate();
  if (!net_.module || !net_.run) throw std::invalid_argument("diamond map: no network");
  // On the particles' device (the model's), in their float32: models/placement.h.
  net_.module->to(model_.device());
  if (description_.empty())
    description_ = config_.arch == "mlp" ? "diamond map (mlp " + std::to_string(config_.depth) + " x " +
                                               std::to_string(config_.width) + ")"
                                         : "diamond map (unet, width " + std::to_string(config_.width) + ")";
}

torch::Tensor DiamondMap::jump(const torch::Tensor& xbar, const torch::Tensor& x_t, const std::vector<double>& t,
                               const std::vector<double>& s, const std::vector<double>& s_next) {
  const int64_t n = x_t.size(0);
  if (xbar.sizes() != x_t.sizes()) throw std::invalid_argument("diamond map: xbar and x_t must have the same shape");
  if (x_t.dim() != static_cast<int64_t>(config_.sample_shape.size()) + 1 ||
      x_t.sizes().slice(1) != at::IntArrayRef(config_.sample_shape))
    throw std::invalid_argument("diamond map: expected samples of shape " +
                                c10::str(at::IntArrayRef(config_.sample_shape)) + ", got " + c10::str(x_t.sizes()));
  if (t.size() != static_cast<size_t>(n) || s.size() != t.size() || s_next.size() != t.size())
    throw std::invalid_argument("diamond map: one t, s and s' per particle");
  std::vector<double> ds(t.size()), keep(t.size()), move(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    if (!(s[i] >= 0.0 && s[i] < 1.0 && s_next[i] >= s[i] && s_next[i] <= 1.0))
      throw std::invalid_argument("diamond map: needs 0 <= s < 1 and s <= s' <= 1, got s = " + std::to_string(s[i]) +
                                  ", s' = " + std::to_string(s_next[i]));
    ds[i] = s_next[i] - s[i];
    keep[i] = (1.0 - s_next[i]) / (1.0 - s[i]);
    move[i] = ds[i] / (1.0 - s[i]);
  }
  const torch::Tensor psi = call_network(xbar, x_t, t, s, ds);
  model_.count_stand_in_call(n);
  if (!psi.defined() || psi.sizes() != x_t.sizes())
    throw std::runtime_error("diamond map: the network returned " + (psi.defined() ? c10::str(psi.sizes()) : "none") +
                             " for input " + c10::str(x_t.sizes()));
  if (!std::isfinite(psi.sum().item<double>()))
    throw std::runtime_error("diamond map: the network returned NaN or infinite values");
  return scaled_sum(keep, xbar, move, psi);
}

void DiamondMap::set_fixed_chunks(int64_t rows) {
  if (rows < 0) throw std::invalid_argument("diamond map: rows per chunk must be >= 0 (0: the whole batch)");
  chunk_rows_ = rows;
}

torch::Tensor DiamondMap::call_network(const torch::Tensor& xbar, const torch::Tensor& x_t,
                                       const std::vector<double>& t, const std::vector<double>& s,
                                       const std::vector<double>& ds) const {
  const int64_t n = x_t.size(0);
  if (chunk_rows_ == 0 || n == 0) return net_.forward(xbar, x_t, t, s, ds);
  const auto rows_of = [&](const std::vector<double>& v, int64_t begin, int64_t len) {
    std::vector<double> part(v.begin() + begin, v.begin() + begin + len);
    part.resize(static_cast<size_t>(chunk_rows_), part.back());  // padding repeats the last row
    return part;
  };
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < n; begin += chunk_rows_) {
    const int64_t len = std::min(chunk_rows_, n - begin);
    const torch::Tensor psi = net_.forward(pad_rows(xbar.narrow(0, begin, len), chunk_rows_),
                                           pad_rows(x_t.narrow(0, begin, len), chunk_rows_), rows_of(t, begin, len),
                                           rows_of(s, begin, len), rows_of(ds, begin, len));
    if (!psi.defined() || psi.size(0) != chunk_rows_)
      throw std::runtime_error("diamond map: the network returned " + (psi.defined() ? c10::str(psi.sizes()) : "none") +
                               " for a chunk of " + std::to_string(chunk_rows_) + " rows");
    parts.push_back(psi.narrow(0, 0, len));
  }
  return torch::cat(parts);
}

torch::Tensor DiamondMap::posterior_sample(const torch::Tensor& x_t, const torch::Tensor& t, at::Generator& gen,
                                           int calls) {
  const int64_t n = x_t.size(0);
  const std::vector<double> ts = particle_values(t, n, "time");
  for (double v : ts)
    if (!(v >= 0.0 && v < 1.0)) throw std::invalid_argument("diamond map: posterior samples need t in [0, 1)");
  if (calls < 1) throw std::invalid_argument("diamond map: a posterior sample needs at least one call");
  torch::Tensor xbar = randn_like_on(x_t, gen);
  for (int j = 0; j < calls; ++j) {
    const double s = static_cast<double>(j) / calls, s_next = j + 1 == calls ? 1.0 : static_cast<double>(j + 1) / calls;
    xbar = jump(xbar, x_t, ts, std::vector<double>(ts.size(), s), std::vector<double>(ts.size(), s_next));
  }
  return xbar;
}

torch::Tensor DiamondMap::transition(const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& t_next,
                                     at::Generator& gen) {
  const int64_t n = x_t.size(0);
  const std::vector<double> ts = particle_values(t, n, "time"), tn = particle_values(t_next, n, "time");
  const Schedule& sch = model_.schedule();
  std::vector<double> s_star(ts.size(), 1.0), cx(ts.size(), 0.0), cy(ts.size(), 1.0);
  for (size_t i = 0; i < ts.size(); ++i) {
    if (!(ts[i] >= 0.0 && ts[i] < tn[i] && tn[i] <= 1.0))
      throw std::invalid_argument("diamond map: a transition needs 0 <= t < t' <= 1");
    if (tn[i] >= 1.0) continue;  // the posterior sample itself: x_1 = z = xbar_1
    s_star[i] = early_stop_time(sch, ts[i], tn[i]);
    // x_t' = alpha_t' S with the pooled statistic of variance g(t') = 1/lam.
    const PooledInput p = pooled_input(sch, ts[i], s_star[i]);
    const double k = sch.alpha(tn[i]) / p.lam, a = sch.alpha(ts[i]), sg = sch.sigma(ts[i]);
    cx[i] = k * a / (sg * sg);
    cy[i] = k * s_star[i] / ((1.0 - s_star[i]) * (1.0 - s_star[i]));
  }
  const torch::Tensor epsbar = randn_like_on(x_t, gen);
  const torch::Tensor xbar = jump(epsbar, x_t, ts, std::vector<double>(ts.size(), 0.0), s_star);
  return scaled_sum(cx, x_t, cy, xbar);
}

DiamondMap load_diamond_map(const std::string& dir, FlowModel& model) {
  namespace fs = std::filesystem;
  const fs::path json_path = fs::path(dir) / "diamond.json", weights = fs::path(dir) / "diamond.pt";
  std::ifstream in(json_path);
  if (!in) throw std::invalid_argument("cannot open diamond map " + quote(json_path.string()));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(quote(json_path.string()) + ": malformed JSON (" + one_line(e.what()) + ")");
  }
  const DiamondNetConfig config =
      DiamondNetConfig::from_json(j.value("network", nlohmann::json::object()), quote(json_path.string()));
  DiamondNet net = make_diamond_net(config, model.schedule_ptr());
  load_weights(*net.module, weights.string());
  net.module->eval();
  return DiamondMap(std::move(net), config, model, "diamond map " + quote(dir));
}

}  // namespace glass
