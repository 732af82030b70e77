#include "glass/diamond/diamond_trainer.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <tuple>

#include "glass/diamond/inner_posterior.h"
#include "glass/io/atomic_file.h"
#include "glass/training/training_loop.h"
#include "glass/util/particle_scalars.h"
#include "glass/util/random.h"

namespace glass {

namespace fs = std::filesystem;

const NameTable<SelfDistillation>& self_distillation_names() {
  static const NameTable<SelfDistillation> names{{"tangent", SelfDistillation::Tangent},
                                                 {"tangent-forward", SelfDistillation::ForwardTangent},
                                                 {"tangent-stopped", SelfDistillation::StoppedTangent},
                                                 {"semigroup", SelfDistillation::Semigroup}};
  return names;
}

void DistillOptions::validate() const {
  training.validate();
  if (training.batch < 2 || decay_steps < 0)
    throw std::invalid_argument("distill: need a batch of at least 2 and decay steps >= 0");
  if (!(self_distill_share >= 0.0 && self_distill_share < 1.0))
    throw std::invalid_argument("distill: the self-distillation share must lie in [0, 1)");
  if (!(from_noise_share >= 0.0 && from_noise_share <= 1.0))
    throw std::invalid_argument("distill: the share of pairs from s = 0 must lie in [0, 1]");
  if (!(max_inner_time > 0.0 && max_inner_time < 1.0))
    throw std::invalid_argument("distill: the largest inner time must lie in (0, 1)");
  if (!(derivative_step > 0.0 && derivative_step < 0.1))
    throw std::invalid_argument("distill: the difference step must lie in (0, 0.1)");
}

namespace {

// One example's draws: the data z, x_t and the inner path's point xbar_s.
struct Draws {
  torch::Tensor z, x_t, xbar;
  std::vector<double> t, s;
};

Draws draw(const torch::Tensor& z, const Schedule& sch, const std::vector<double>& s, at::Generator& gen) {
  const int64_t n = z.size(0);
  Draws d;
  d.z = z;
  d.t = particle_values(at::rand({n}, gen, torch::kFloat64), n, "t");
  d.s = s;
  std::vector<double> a(d.t.size()), sg(d.t.size()), keep(s.size());
  for (size_t i = 0; i < d.t.size(); ++i) {
    a[i] = sch.alpha(d.t[i]);
    sg[i] = sch.sigma(d.t[i]);
    keep[i] = 1.0 - s[i];
  }
  d.x_t = scaled_sum(a, z, sg, at::randn(z.sizes(), gen, z.options()));
  d.xbar = scaled_sum(s, z, keep, at::randn(z.sizes(), gen, z.options()));  // a fresh epsbar, never the outer eps
  return d;
}

// X(xbar; s -> s') = ((1-s')/(1-s)) xbar + ((s'-s)/(1-s)) psi, and psi itself.
struct Jump {
  torch::Tensor x, psi;
};

Jump jump(DiamondNet& net, const torch::Tensor& xbar, const Draws& d, const std::vector<double>& s,
          const std::vector<double>& s_next) {
  std::vector<double> ds(s.size()), keep(s.size()), move(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    ds[i] = s_next[i] - s[i];
    keep[i] = (1.0 - s_next[i]) / (1.0 - s[i]);
    move[i] = ds[i] / (1.0 - s[i]);
  }
  const torch::Tensor psi = net.forward(xbar, d.x_t, d.t, s, ds);
  return {scaled_sum(keep, xbar, move, psi), psi};
}

// dY/ds' for the tangent loss: by a central difference in s' (step h), the gradient through its two
// passes or not, or exactly by forward-mode AD.
enum class Derivative { CentralDifference, StoppedCentralDifference, ForwardMode };

// || (1-s') dY/ds' - sg[E[z | x_t, Y at s'] - Y] ||^2 with Y = X(xbar_s; s -> s').
torch::Tensor tangent_loss(DiamondNet& net, FlowModel& teacher, const Draws& d, const std::vector<double>& s_next,
                           double h, Derivative derivative) {
  const std::vector<double>& s = d.s;
  const size_t n = s.size();
  std::vector<double> ds(n), keep(n), move(n), lever(n);
  for (size_t i = 0; i < n; ++i) {
    ds[i] = s_next[i] - s[i];
    keep[i] = (1.0 - s_next[i]) / (1.0 - s[i]);  // also (1-s') d/ds' of the keep and move weights
    move[i] = ds[i] / (1.0 - s[i]);
    lever[i] = (1.0 - s_next[i]) * move[i];  // (1-s') move, times dpsi/dds
  }
  torch::Tensor psi, dpsi;
  if (derivative == Derivative::ForwardMode) {
    std::tie(psi, dpsi) = net.forward_with_ds_tangent(d.xbar, d.x_t, d.t, s, ds);
  } else {
    psi = net.forward(d.xbar, d.x_t, d.t, s, ds);
    std::vector<double> ds_up(n), ds_down(n);
    for (size_t i = 0; i < n; ++i) {
      ds_up[i] = ds[i] + h;
      ds_down[i] = ds[i] - h;
    }
    torch::AutoGradMode tangent_grad(derivative == Derivative::CentralDifference && torch::GradMode::is_enabled());
    dpsi = (net.forward(d.xbar, d.x_t, d.t, s, ds_up) - net.forward(d.xbar, d.x_t, d.t, s, ds_down)) / (2.0 * h);
  }
  // (1-s') dY/ds' = (1-s')/(1-s) (psi - xbar) + (1-s') (s'-s)/(1-s) dpsi/dds
  const torch::Tensor scaled_velocity =
      torch::addcmul(broadcastable(keep, psi) * (psi - d.xbar), broadcastable(lever, psi), dpsi);
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor y_stop = scaled_sum(keep, d.xbar, move, psi).detach();
    target = inner_posterior_denoiser(teacher, d.x_t, d.t, y_stop, s_next) - y_stop;
  }
  return torch::mse_loss(scaled_velocity, target);
}

// || psi(s -> s') - sg[psi of the two half jumps s -> u -> s'] ||^2, u the midpoint: the map's
// own composition as the target, no teacher call (the diagonal loss supplies the teacher).
torch::Tensor semigroup_loss(DiamondNet& net, const Draws& d, const std::vector<double>& s_next) {
  const std::vector<double>& s = d.s;
  std::vector<double> u(s.size()), keep(s.size()), inv_move(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    u[i] = 0.5 * (s[i] + s_next[i]);
    keep[i] = -(1.0 - s_next[i]) / (1.0 - s[i]);
    inv_move[i] = (1.0 - s[i]) / (s_next[i] - s[i]);
  }
  const torch::Tensor psi = jump(net, d.xbar, d, s, s_next).psi;
  torch::Tensor psi_target;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor composed = jump(net, jump(net, d.xbar, d, s, u).x, d, u, s_next).x;
    // The psi whose one jump lands where the two half jumps do; jumps shorter than 1e-3 are left
    // out (float32 cancellation), the diagonal covers them.
    psi_target =
        broadcastable(inv_move, composed) * scaled_sum(std::vector<double>(s.size(), 1.0), composed, keep, d.xbar);
    for (size_t i = 0; i < s.size(); ++i)
      if (s_next[i] - s[i] < 1e-3) psi_target[static_cast<int64_t>(i)].copy_(psi[static_cast<int64_t>(i)]);
  }
  return torch::mse_loss(psi, psi_target);
}

}  // namespace

DistillResult distill_diamond(const DiamondNetConfig& config, FlowModel& teacher, const DataSampler& data,
                              const DistillOptions& o, const std::string& out_dir) {
  o.validate();
  config.validate();
  torch::manual_seed(o.training.seed);  // weight initialisation
  DiamondNet net = make_diamond_net(config, teacher.schedule_ptr());
  if (o.initialise) o.initialise(*net.module);
  const nlohmann::json description{{"network", config.to_json()}, {"teacher", teacher.describe()}};
  fs::create_directories(out_dir);
  write_text_atomically((fs::path(out_dir) / "diamond.json").string(), description.dump(2) + "\n");
  const std::string settings = ", self-distillation " + name_of(self_distillation_names(), o.self_distillation) +
                               ", self-distillation share " + c10::str(o.self_distill_share) +
                               " (from s = 0: " + c10::str(o.from_noise_share) + ")";
  TrainingLoopSpec spec{"distill", "diamond.pt", description.dump() + settings, {}};
  // After the warm-up, a cosine decay to a tenth: the map's precision comes late in training.
  const double horizon = static_cast<double>(o.decay_steps > 0 ? o.decay_steps : o.training.steps);
  spec.lr_factor = [horizon](int64_t step) {
    return 0.55 + 0.45 * std::cos(M_PI * std::min(1.0, static_cast<double>(step) / horizon));
  };

  const Schedule& sch = teacher.schedule();
  const int64_t n_self =
      static_cast<int64_t>(std::llround(o.self_distill_share * static_cast<double>(o.training.batch)));
  const int64_t n_diag = o.training.batch - n_self;
  const TrainingLoopResult r =
      run_training_loop(*net.module, o.training, out_dir, spec, [&](int64_t, at::Generator& gen) {
        const torch::Tensor z = data(o.training.batch, gen);
        torch::Tensor loss_diag = torch::zeros({}, z.options()), loss_self = torch::zeros({}, z.options());

        // Diagonal: psi at s' = s is the GLASS posterior denoiser.
        {
          const Draws d =
              draw(z.narrow(0, 0, n_diag), sch,
                   particle_values(at::rand({n_diag}, gen, torch::kFloat64) * o.max_inner_time, n_diag, "s"), gen);
          torch::Tensor target;
          {
            torch::NoGradGuard no_grad;
            target = inner_posterior_denoiser(teacher, d.x_t, d.t, d.xbar, d.s);
          }
          const torch::Tensor psi = net.forward(d.xbar, d.x_t, d.t, d.s, std::vector<double>(d.s.size(), 0.0));
          loss_diag = torch::mse_loss(psi, target);
        }
        // Self-distillation on sorted pairs s < s'.
        if (n_self > 0) {
          const torch::Tensor pair =
              std::get<0>(at::rand({n_self, 2}, gen, torch::kFloat64).mul(o.max_inner_time).sort(1));
          const torch::Tensor from_noise = at::rand({n_self}, gen, torch::kFloat64) < o.from_noise_share;
          const std::vector<double> s = particle_values(pair.select(1, 0).masked_fill(from_noise, 0.0), n_self, "s");
          const std::vector<double> s_next = particle_values(pair.select(1, 1), n_self, "s'");
          const Draws d = draw(z.narrow(0, n_diag, n_self), sch, s, gen);
          switch (o.self_distillation) {
            case SelfDistillation::Semigroup: loss_self = semigroup_loss(net, d, s_next); break;
            case SelfDistillation::Tangent:
              loss_self = tangent_loss(net, teacher, d, s_next, o.derivative_step, Derivative::CentralDifference);
              break;
            case SelfDistillation::StoppedTangent:
              loss_self =
                  tangent_loss(net, teacher, d, s_next, o.derivative_step, Derivative::StoppedCentralDifference);
              break;
            case SelfDistillation::ForwardTangent:
              loss_self = tangent_loss(net, teacher, d, s_next, o.derivative_step, Derivative::ForwardMode);
              break;
          }
        }
        const torch::Tensor loss = (loss_diag * static_cast<double>(n_diag) + loss_self * static_cast<double>(n_self)) /
                                   static_cast<double>(o.training.batch);
        return StepLoss{loss, {{"diagonal", loss_diag.item<double>()}, {"self", loss_self.item<double>()}}};
      });
  return {r.steps_done, r.last_parts.empty() ? 0.0 : r.last_parts[0], r.last_parts.empty() ? 0.0 : r.last_parts[1]};
}

}  // namespace glass
