#include "glass/models/gaussian_mixture.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "glass/presets_data.h"
#include "glass/util/parse.h"
#include "glass/util/random.h"

namespace glass {

namespace {

torch::Tensor as_column(const torch::Tensor& v, int64_t n, const char* what) {
  torch::Tensor c = v.to(torch::kCPU, torch::kFloat64).reshape({-1});
  if (c.numel() == 1) c = c.expand({n});
  if (c.numel() != n) throw std::invalid_argument(std::string(what) + ": expected one value per particle");
  return c.reshape({n, 1});
}

}  // namespace

GaussianMixture::GaussianMixture(torch::Tensor means, torch::Tensor stds, torch::Tensor weights)
    : means_(means.to(torch::kCPU, torch::kFloat64).contiguous()),
      stds_(stds.to(torch::kCPU, torch::kFloat64).reshape({-1}).contiguous()),
      weights_(weights.to(torch::kCPU, torch::kFloat64).reshape({-1}).contiguous()) {
  if (means_.dim() != 2 || means_.size(0) < 1 || means_.size(1) < 1)
    throw std::invalid_argument("mixture: means must be a non-empty [K, d] matrix");
  const int64_t K = means_.size(0);
  if (stds_.numel() != K || weights_.numel() != K)
    throw std::invalid_argument("mixture: " + std::to_string(K) + " means but " + std::to_string(stds_.numel()) +
                                " stds and " + std::to_string(weights_.numel()) + " weights");
  if (!torch::isfinite(means_).all().item<bool>()) throw std::invalid_argument("mixture: means must be finite");
  if (!(stds_ > 0).all().item<bool>() || !torch::isfinite(stds_).all().item<bool>())
    throw std::invalid_argument("mixture: stds must be positive and finite");
  if (!(weights_ >= 0).all().item<bool>() || !(weights_.sum().item<double>() > 0.0) ||
      !torch::isfinite(weights_).all().item<bool>())
    throw std::invalid_argument("mixture: weights must be non-negative, finite, with a positive sum");
  weights_ = weights_ / weights_.sum();
}

GaussianMixture GaussianMixture::from_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(source + ": malformed JSON (" + one_line(e.what()) + ")");
  }
  try {
    if (!j.is_object() || !j.contains("means") || !j.contains("stds"))
      throw std::invalid_argument("needs an object with \"means\" and \"stds\"");
    const auto means = j.at("means").get<std::vector<std::vector<double>>>();
    const auto stds = j.at("stds").get<std::vector<double>>();
    std::vector<double> weights =
        j.contains("weights") ? j.at("weights").get<std::vector<double>>() : std::vector<double>(means.size(), 1.0);
    if (means.empty()) throw std::invalid_argument("\"means\" is empty");
    const size_t d = means[0].size();
    std::vector<double> flat;
    for (const auto& row : means) {
      if (row.size() != d || d == 0) throw std::invalid_argument("every mean needs the same, non-zero dimension");
      flat.insert(flat.end(), row.begin(), row.end());
    }
    torch::Tensor m =
        torch::tensor(flat, torch::kFloat64).reshape({static_cast<int64_t>(means.size()), static_cast<int64_t>(d)});
    return GaussianMixture(m, torch::tensor(stds, torch::kFloat64), torch::tensor(weights, torch::kFloat64));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(source + ": wrong field types (" + one_line(e.what()) + ")");
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": " + one_line(e.what()));
  }
}

GaussianMixture GaussianMixture::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot open mixture file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str(), path);
}

GaussianMixture GaussianMixture::preset(const std::string& name) {
  for (const auto& [key, text] : presets_data::kPresets)
    if (name == key) return from_json(text, "preset " + name);
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown mixture preset " + quote(name) + " (known: " + known + ")");
}

std::vector<std::string> GaussianMixture::preset_names() {
  std::vector<std::string> names;
  for (const auto& entry : presets_data::kPresets) names.emplace_back(entry.first);
  return names;
}

std::string GaussianMixture::to_json() const {
  nlohmann::json j;
  std::vector<std::vector<double>> means(components());
  for (int64_t k = 0; k < components(); ++k)
    for (int64_t i = 0; i < dim(); ++i) means[k].push_back(means_[k][i].item<double>());
  j["means"] = means;
  j["stds"] = std::vector<double>(stds_.data_ptr<double>(), stds_.data_ptr<double>() + components());
  j["weights"] = std::vector<double>(weights_.data_ptr<double>(), weights_.data_ptr<double>() + components());
  return j.dump();
}

torch::Tensor GaussianMixture::sample(int64_t n, at::Generator& gen, torch::Tensor* labels) const {
  torch::Tensor k = sample_categorical(weights_.unsqueeze(0).expand({n, components()}), gen);
  torch::Tensor z =
      means_.index_select(0, k) + stds_.index_select(0, k).unsqueeze(1) * randn({n, dim()}, gen, torch::kFloat64);
  if (labels) *labels = k;
  return z;
}

torch::Tensor GaussianMixture::sample_noisy(int64_t n, double alpha, double sigma, at::Generator& gen) const {
  torch::Tensor z = sample(n, gen);
  return alpha * z + sigma * randn({n, dim()}, gen, torch::kFloat64);
}

std::pair<torch::Tensor, torch::Tensor> GaussianMixture::component_log_likelihoods(
    const torch::Tensor& x_in, const torch::Tensor& alpha_in, const torch::Tensor& sigma_in) const {
  if (x_in.dim() != 2 || x_in.size(1) != dim())
    throw std::invalid_argument("mixture: expected x of shape [N, " + std::to_string(dim()) + "], got " +
                                c10::str(x_in.sizes()));
  const int64_t n = x_in.size(0);
  const torch::Tensor x = x_in.to(torch::kCPU, torch::kFloat64);
  const torch::Tensor a = as_column(alpha_in, n, "alpha"), s = as_column(sigma_in, n, "sigma");
  const torch::Tensor v = a.pow(2) * stds_.pow(2).unsqueeze(0) + s.pow(2);  // [N, K]
  // |x - a m_k|^2 = |x|^2 - 2 a x.m_k + a^2 |m_k|^2
  const torch::Tensor sq =
      x.pow(2).sum(1, true) - 2.0 * a * x.matmul(means_.t()) + a.pow(2) * means_.pow(2).sum(1).unsqueeze(0);
  const double d = static_cast<double>(dim());
  const torch::Tensor logl = weights_.log().unsqueeze(0) - 0.5 * sq.clamp_min(0) / v - 0.5 * d * (2.0 * M_PI * v).log();
  return {logl, v};
}

torch::Tensor GaussianMixture::log_prob_noisy(const torch::Tensor& x, const torch::Tensor& alpha,
                                              const torch::Tensor& sigma) const {
  return component_log_likelihoods(x, alpha, sigma).first.logsumexp(1);
}

torch::Tensor GaussianMixture::responsibilities(const torch::Tensor& x, const torch::Tensor& alpha,
                                                const torch::Tensor& sigma) const {
  return torch::softmax(component_log_likelihoods(x, alpha, sigma).first, 1);
}

torch::Tensor GaussianMixture::denoise(const torch::Tensor& x_in, const torch::Tensor& alpha,
                                       const torch::Tensor& sigma) const {
  const auto [logl, v] = component_log_likelihoods(x_in, alpha, sigma);
  const int64_t n = x_in.size(0);
  const torch::Tensor r = torch::softmax(logl, 1);
  const torch::Tensor a = as_column(alpha, n, "alpha"), s = as_column(sigma, n, "sigma");
  // mean_k = (sigma^2 / v_k) m_k + (alpha s_k^2 / v_k) x
  const torch::Tensor on_means = r * s.pow(2) / v;                                  // [N, K]
  const torch::Tensor on_x = (r * a * stds_.pow(2).unsqueeze(0) / v).sum(1, true);  // [N, 1]
  const torch::Tensor d = on_means.matmul(means_) + on_x * x_in.to(torch::kCPU, torch::kFloat64);
  return d.to(x_in.device(), x_in.scalar_type());
}

torch::Tensor GaussianMixture::sample_posterior(const torch::Tensor& x_in, const torch::Tensor& alpha,
                                                const torch::Tensor& sigma, at::Generator& gen) const {
  const auto [logl, v] = component_log_likelihoods(x_in, alpha, sigma);
  const int64_t n = x_in.size(0);
  const torch::Tensor a = as_column(alpha, n, "alpha"), s = as_column(sigma, n, "sigma");
  const torch::Tensor k = sample_categorical(torch::softmax(logl, 1), gen).unsqueeze(1);  // [N, 1]
  const torch::Tensor vk = v.gather(1, k);                                                // [N, 1]
  const torch::Tensor sk2 = stds_.pow(2).index_select(0, k.squeeze(1)).unsqueeze(1);
  const torch::Tensor mk = means_.index_select(0, k.squeeze(1));
  const torch::Tensor x = x_in.to(torch::kCPU, torch::kFloat64);
  const torch::Tensor mean = mk + (a * sk2 / vk) * (x - a * mk);
  const torch::Tensor var = sk2 * s.pow(2) / vk;
  const torch::Tensor z = mean + var.sqrt() * randn({n, dim()}, gen, torch::kFloat64);
  return z.to(x_in.device(), x_in.scalar_type());
}

GaussianMixture::Tilted GaussianMixture::tilted(double kappa, const torch::Tensor& center_in, double lambda) const {
  const double a = lambda * kappa;  // precision added by the tilt
  if (!(a >= 0.0) || !std::isfinite(a)) throw std::invalid_argument("tilt: lambda * kappa must be finite and >= 0");
  const torch::Tensor c = center_in.to(torch::kCPU, torch::kFloat64).reshape({1, -1});
  if (c.size(1) != dim()) throw std::invalid_argument("tilt: the center has the wrong dimension");
  const torch::Tensor s2 = stds_.pow(2);
  const torch::Tensor new_s2 = s2 / (1.0 + a * s2);
  const torch::Tensor new_means = new_s2.unsqueeze(1) * (means_ / s2.unsqueeze(1) + a * c);
  // log Z_k = log pi_k - (d/2) log(1 + a s_k^2) - a |m_k - c|^2 / (2 (1 + a s_k^2))
  const double d = static_cast<double>(dim());
  const torch::Tensor log_zk =
      weights_.log() - 0.5 * d * (1.0 + a * s2).log() - a * (means_ - c).pow(2).sum(1) / (2.0 * (1.0 + a * s2));
  const double log_z = log_zk.logsumexp(0).item<double>();
  return {GaussianMixture(new_means, new_s2.sqrt(), torch::softmax(log_zk, 0)), log_z};
}

}  // namespace glass
