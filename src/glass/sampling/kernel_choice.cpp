#include "glass/sampling/kernel_choice.h"

#include <stdexcept>

#include "glass/diamond/diamond_transition.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/exact_mixture_transition.h"

namespace glass {

const NameTable<KernelKind>& kernel_kind_names() {
  static const NameTable<KernelKind> table{
      {"glass", KernelKind::Glass},     {"ode", KernelKind::Ode}, {"ddpm", KernelKind::Ddpm},
      {"ddim", KernelKind::Ddim},       {"sde", KernelKind::Sde}, {"exact", KernelKind::Exact},
      {"diamond", KernelKind::Diamond},
  };
  return table;
}

std::unique_ptr<TransitionKernel> make_kernel(const KernelChoice& c, FlowModel& model, const GaussianMixture* mixture) {
  switch (c.kind) {
    case KernelKind::Glass: return std::make_unique<GlassTransition>(model, c.glass);
    case KernelKind::Ode: return std::make_unique<OdeTransition>(model, c.ode_method);
    case KernelKind::Ddpm:
    case KernelKind::Ddim: return std::make_unique<DdpmTransition>(model, c.eta_or_default());
    case KernelKind::Sde: return std::make_unique<SdeTransition>(model, c.sde_options());
    case KernelKind::Exact:
      if (!mixture) throw std::invalid_argument("exact kernel: needs a Gaussian-mixture model");
      return std::make_unique<ExactMixtureTransition>(*mixture, model.schedule_ptr(), c.glass.rho);
    case KernelKind::Diamond:
      if (!c.diamond)
        throw std::invalid_argument("the diamond kernel needs a Diamond Map (glass distill; --diamond DIR)");
      return std::make_unique<DiamondTransition>(c.diamond);
  }
  throw std::invalid_argument("unknown kernel");
}

KernelFactory kernel_factory(KernelChoice choice, const GaussianMixture* mixture) {
  return [choice = std::move(choice), mixture](FlowModel& model) { return make_kernel(choice, model, mixture); };
}

}  // namespace glass
