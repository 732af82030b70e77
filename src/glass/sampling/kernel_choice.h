#pragma once
// Which transition kernel, with its settings, as one value: what a front end (the command line, a
// benchmark, Python) fills in, and the one place that builds the kernel from it.
#include <functional>
#include <memory>
#include <optional>

#include "glass/diamond/diamond_map.h"
#include "glass/models/gaussian_mixture.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/util/enum_names.h"

namespace glass {

enum class KernelKind {
  Glass,    // GLASS's inner ODE (GlassOptions)
  Ode,      // the probability-flow ODE (deterministic)
  Ddpm,     // DDPM's ancestral step (eta 1 by default)
  Ddim,     // DDIM's family (eta 0 by default: deterministic)
  Sde,      // the marginal-preserving SDE (SdeOptions)
  Exact,    // exact transitions of a Gaussian-mixture model (no network calls)
  Diamond,  // a distilled Diamond Map: one call a transition (DDPM's when the map is exact)
};

const NameTable<KernelKind>& kernel_kind_names();

struct KernelChoice {
  KernelKind kind = KernelKind::Glass;
  GlassOptions glass;  // glass; its rho also serves the exact kernel
  OdeMethod ode_method = OdeMethod::Heun;
  SdeOptions sde;
  // ddpm and ddim: the step-noise share of DDPM's (default 1 and 0); sde: its noise scale, which
  // replaces sde.eta when given (one flag, one keyword for every kernel with noise).
  std::optional<double> eta;
  // diamond: the map, distilled from the plain model (it moves with it whatever model the kernel
  // is built on, so denoiser guidance does not reach it).
  std::shared_ptr<DiamondMap> diamond;

  // eta as given, or its kernel's default (0 for ddim, 1 for ddpm, sde.eta for sde).
  double eta_or_default() const {
    return eta.value_or(kind == KernelKind::Ddim ? 0.0 : kind == KernelKind::Sde ? sde.eta : 1.0);
  }
  // The SDE's options with eta_or_default() as its noise scale.
  SdeOptions sde_options() const {
    SdeOptions s = sde;
    if (eta) s.eta = *eta;
    return s;
  }
};

// `mixture` is needed by the exact kernel only (nullptr otherwise is fine).
std::unique_ptr<TransitionKernel> make_kernel(const KernelChoice& choice, FlowModel& model,
                                              const GaussianMixture* mixture = nullptr);

// Builds a kernel on the model it is handed: what lets one choice move with the plain model or with
// a guided wrapper of it. Any callable of this shape (a user's own kernel) serves as well.
using KernelFactory = std::function<std::unique_ptr<TransitionKernel>(FlowModel& model)>;
// `mixture`, if given, must outlive the factory.
KernelFactory kernel_factory(KernelChoice choice, const GaussianMixture* mixture = nullptr);

}  // namespace glass
