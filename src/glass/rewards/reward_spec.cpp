#include "glass/rewards/reward_spec.h"

#include <cctype>
#include <map>
#include <stdexcept>

#include "glass/rewards/analytic_rewards.h"
#include "glass/rewards/classifier_reward.h"
#include "glass/rewards/exported_reward.h"
#include "glass/rewards/weighted_sum_reward.h"
#include "glass/training/classifier_trainer.h"
#include "glass/util/parse.h"

namespace glass {

namespace {

// "name:a=1:b=2,3" -> name and {a: "1", b: "2,3"}; a bare first argument is stored under "".
struct Term {
  std::string kind;
  std::map<std::string, std::string> args;
};

Term parse_term(const std::string& text) {
  const std::vector<std::string> parts = split(text, ':');
  Term term{parts[0], {}};
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t eq = parts[i].find('=');
    const std::string key = eq == std::string::npos ? "" : parts[i].substr(0, eq);
    const std::string value = eq == std::string::npos ? parts[i] : parts[i].substr(eq + 1);
    if (term.args.count(key))
      throw std::invalid_argument("reward " + quote(text) + ": argument " + quote(key) + " given twice");
    term.args[key] = value;
  }
  return term;
}

std::string take(Term& term, const std::string& key, const std::string& fallback, bool required) {
  const auto it = term.args.find(key);
  if (it == term.args.end()) {
    if (required)
      throw std::invalid_argument("reward " + quote(term.kind) + " needs " + (key.empty() ? "an argument" : key + "="));
    return fallback;
  }
  std::string value = it->second;
  term.args.erase(it);
  return value;
}

torch::Tensor vector_arg(Term& term, const std::string& key) {
  return torch::tensor(parse_double_list(take(term, key, "", true), term.kind + " " + key), torch::kFloat64);
}

RewardPtr make_single(const std::string& text, const RewardContext& context) {
  Term term = parse_term(text);
  RewardPtr reward;
  if (term.kind == "quadratic") {
    const double kappa = parse_double(take(term, "kappa", "1", false), "quadratic kappa");
    reward = std::make_shared<QuadraticReward>(kappa, vector_arg(term, "center"));
  } else if (term.kind == "box") {
    const double kappa = parse_double(take(term, "kappa", "10", false), "box kappa");
    torch::Tensor lo = vector_arg(term, "lo");
    reward = std::make_shared<BoxReward>(lo, vector_arg(term, "hi"), kappa);
  } else if (term.kind == "class") {
    std::string label = take(term, "", "", false);
    if (label.empty()) label = take(term, "label", "", true);
    const double l = parse_double(label, "class label");
    if (l != static_cast<double>(static_cast<int64_t>(l)))
      throw std::invalid_argument("reward 'class': the label must be an integer");
    std::string path = take(term, "model", context.default_classifier, false);
    if (path.empty()) throw std::invalid_argument("reward class: no classifier (give model=PATH)");
    reward = std::make_shared<ClassifierReward>(load_classifier(path), static_cast<int64_t>(l), context.device);
  } else if (term.kind == "script") {
    std::string path = take(term, "", "", false);
    if (path.empty()) path = take(term, "path", "", true);
    reward = std::make_shared<ExportedReward>(path, context.device);
  } else {
    throw std::invalid_argument("unknown reward " + quote(term.kind) + " (quadratic, box, class, script)");
  }
  if (!term.args.empty())
    throw std::invalid_argument("reward " + quote(term.kind) + ": unknown argument " + quote(term.args.begin()->first));
  return reward;
}

// Splits a sum of terms on '+', except the sign of a number's exponent (1e+2).
std::vector<std::string> split_terms(const std::string& spec) {
  std::vector<std::string> terms(1);
  for (size_t i = 0; i < spec.size(); ++i) {
    const bool exponent_sign = i >= 2 && (spec[i - 1] == 'e' || spec[i - 1] == 'E') &&
                               (std::isdigit(static_cast<unsigned char>(spec[i - 2])) || spec[i - 2] == '.');
    if (spec[i] == '+' && !exponent_sign) terms.emplace_back();
    else terms.back() += spec[i];
  }
  return terms;
}

}  // namespace

RewardPtr make_reward(const std::string& spec, const RewardContext& context) {
  if (spec.empty()) throw std::invalid_argument("reward: empty text");
  const std::vector<std::string> texts = split_terms(spec);
  std::vector<std::pair<double, RewardPtr>> terms;
  bool weighted = texts.size() > 1;
  for (const std::string& text : texts) {
    const size_t star = text.find('*');
    double w = 1.0;
    std::string body = text;
    if (star != std::string::npos) {
      w = parse_double(text.substr(0, star), "reward weight");
      body = text.substr(star + 1);
      weighted = true;
    }
    if (body.empty()) throw std::invalid_argument("reward " + quote(spec) + ": empty term");
    terms.emplace_back(w, make_single(body, context));
  }
  if (!weighted) return terms[0].second;
  return std::make_shared<WeightedSumReward>(std::move(terms));
}

}  // namespace glass
