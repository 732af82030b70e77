#pragma once
// Distilling a Diamond Map from a flow model, simulation-free (spec diamond-maps 2). Per example:
// z from the data, t ~ U[0, 1), x_t = alpha_t z + sigma_t eps, a fresh inner noise epsbar, and
// xbar_s = s z + (1 - s) epsbar. The teacher is the model inside the GLASS inner velocity, exact
// where the model is (mixtures). In the map's psi form (diamond_network.h) the two losses read
//   diagonal (s' = s):  || psi(xbar_s, x_t, t, s, 0) - sg[E[z | x_t, xbar_s]] ||^2
//   self-distillation:  Y = X(xbar_s; s -> s'),
//                       || (1-s') dY/ds' - sg[E[z | x_t, Y at s'] - Y] ||^2
// the second being (1-s')^2 times || dY/ds' - u(Y | s') ||^2, bounded as s' -> 1. dY/ds' comes
// from a central difference in s' (two more forward passes, any layer) or forward-mode AD.
#include <functional>
#include <string>

#include "glass/diamond/diamond_network.h"
#include "glass/models/flow_model.h"
#include "glass/training/flow_matching_trainer.h"
#include "glass/util/enum_names.h"

namespace glass {

// The self-distillation loss, four ways (docs/benchmarks.md compares them):
//   tangent          the loss above, dY/ds' by a central difference in s' (two more forward passes,
//                    any layer), the gradient through all three passes;
//   tangent-forward  the same loss, dY/ds' exact by forward-mode AD (one forward pass carrying a
//                    tangent), the gradient through it (reverse over forward);
//   tangent-stopped  the central difference with its two passes held fixed (stop-gradient on the
//                    tangent, as consistency-model training does): one backward pass, not three;
//   semigroup        || psi(s -> s') - sg[psi of the jumps s -> u -> s'] ||^2 with u the midpoint:
//                    no derivative and no teacher call, the map's own composition as the target.
enum class SelfDistillation { Tangent, ForwardTangent, StoppedTangent, Semigroup };
// tangent | tangent-forward | tangent-stopped | semigroup
const NameTable<SelfDistillation>& self_distillation_names();

struct DistillOptions {
  // Steps, batch, learning rate and warm-up, EMA, logging, checkpoints, seed, resume: as for flow
  // matching, with the distillation's own defaults.
  TrainOptions training = default_training();
  int64_t decay_steps = 0;           // horizon of the cosine learning-rate decay (0: training.steps)
  double self_distill_share = 0.25;  // of each batch; the rest trains the diagonal
  // Of the self-distillation pairs, the share that starts at s = 0, where every use of the map
  // starts (posterior samples and early-stop transitions jump from fresh inner noise).
  double from_noise_share = 0.5;
  double max_inner_time = 0.999;  // s and s' are drawn in [0, max_inner_time]
  double derivative_step = 1e-3;  // h of the central difference in s'
  SelfDistillation self_distillation = SelfDistillation::Tangent;
  // Applied to the fresh student before training (a resume then loads its checkpoint): e.g. copying a flow
  // network into it (initialise_from_flow_unet). Empty: the network's own random initialisation.
  std::function<void(torch::nn::Module& student)> initialise;

  void validate() const;
  static TrainOptions default_training() {
    TrainOptions t;
    t.steps = 20000;
    t.batch = 512;
    t.checkpoint_every = 1000;
    return t;
  }
};

struct DistillResult {
  int64_t steps_done = 0;
  double diagonal_loss = 0.0, self_distill_loss = 0.0;  // means over the last log interval
};

// Writes OUT_DIR/diamond.json, OUT_DIR/diamond.pt (EMA weights), train.log and checkpoint/.
DistillResult distill_diamond(const DiamondNetConfig& config, FlowModel& teacher, const DataSampler& data,
                              const DistillOptions& options, const std::string& out_dir);

}  // namespace glass
