// Samples the built-in gmm2d mixture with GLASS through the installed library and checks the
// component weights: proof that headers, library and dependencies of an install fit together.
#include <cstdio>

#include "glass/models/mixture_network.h"
#include "glass/models/network_flow_model.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/stats/mixture_fit.h"
#include "glass/transitions/glass_transition.h"
#include "glass/util/random.h"

int main() {
  const glass::GaussianMixture mixture = glass::GaussianMixture::preset("gmm2d");
  const glass::SchedulePtr schedule = glass::make_schedule("condot");
  glass::NetworkFlowModel model(std::make_shared<glass::MixtureNetwork>(mixture, schedule), schedule,
                                glass::ModelSpec{glass::Prediction::Denoiser, glass::TimeConvention::FlowTime, 1.0});
  glass::GlassTransition kernel(model, glass::GlassOptions{glass::RhoSchedule::constant(0.4), 8, 1.0});
  at::Generator gen = glass::make_generator(1);
  const glass::SampleResult r =
      glass::run_chain(kernel, glass::prior_noise(2000, {2}, gen), glass::uniform_grid(5), gen);
  const glass::MixtureFit fit = glass::assess_mixture_fit(r.x, mixture, gen);
  std::printf("consumer: %lld network calls, largest weight error %.3f\n", static_cast<long long>(r.nfe),
              fit.max_weight_error);
  return fit.max_weight_error < 0.05 && r.nfe == 40 ? 0 : 1;
}
