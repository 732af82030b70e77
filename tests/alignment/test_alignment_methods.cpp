// The library's alignment methods: every plan's cost is what the run spends, the default budget
// is best-of-8's, a failing run is an error, and impossible plans are errors before any work.
#include <gtest/gtest.h>

#include <limits>

#include "glass/alignment/alignment_methods.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/sampling/time_grid.h"
#include "glass/util/random.h"
#include "test_helpers.h"

using namespace glass;

namespace {

struct Scene {
  GaussianMixture mixture = GaussianMixture::preset("gmm2d");
  SchedulePtr schedule = make_schedule("condot");
  std::unique_ptr<FlowModel> model = test::mixture_model(mixture, schedule);
  KernelChoice kernel{KernelKind::Glass, GlassOptions{RhoSchedule::constant(0.4), 4, 1.0}};
  RewardPtr reward = std::make_shared<QuadraticReward>(0.5, torch::tensor({2.0, 1.0}, torch::kFloat64));
};

AlignmentSettings small_settings() {
  AlignmentSettings a;
  a.smc.value = ValueOptions{2, 3};
  return a;
}

TEST(AlignmentMethods, EveryPlanCostsWhatItsRunSpends) {
  Scene s;
  Aligner aligner(*s.model, s.kernel, s.reward, uniform_grid(4), {2}, small_settings());
  // Default budget: best-of-8's chains of 4 GLASS transitions of 4 calls.
  EXPECT_DOUBLE_EQ(aligner.budget(), 8.0 * 16);
  for (const NamedValue<AlignmentMethod>& m : alignment_method_names()) {
    const MethodPlan plan = aligner.plan(m.value);
    EXPECT_LE(plan.nfe_per_output(), aligner.budget()) << m.name;
    at::Generator gen = make_generator(3);
    const AlignmentRun run = aligner.run(plan, 20, gen);
    EXPECT_EQ(run.samples.size(0), 20) << m.name;
    // Exactly: value guidance estimates only after steps ending in its window (0.25 and 0.5 here).
    EXPECT_DOUBLE_EQ(run.cost.nfe_per_output(), static_cast<double>(plan.nfe_per_output())) << m.name;
    EXPECT_EQ(run.exact_target, m.value == AlignmentMethod::Smc) << m.name;
  }
  // Particles fill the budget: SMC with denoised potentials costs exactly what its chains cost.
  EXPECT_EQ(aligner.plan(AlignmentMethod::Smc).particles, 8);
  EXPECT_EQ(aligner.plan(AlignmentMethod::BestOfN).particles, 8);
  EXPECT_EQ(aligner.plan(AlignmentMethod::Plain).particles, 1);
}

TEST(AlignmentMethods, AFailingRewardStopsTheRun) {
  Scene s;
  class FailsLate final : public Reward {
   public:
    std::string name() const override { return "fails late"; }

   protected:
    torch::Tensor compute(const torch::Tensor& z) override {
      if (++calls_ > 3) return torch::full({z.size(0)}, std::numeric_limits<double>::quiet_NaN(), torch::kFloat64);
      return -z.pow(2).sum(1);
    }

   private:
    int calls_ = 0;
  };
  Aligner aligner(*s.model, s.kernel, std::make_shared<FailsLate>(), uniform_grid(4), {2}, small_settings());
  at::Generator gen = make_generator(1);
  EXPECT_THROW(aligner.run(aligner.plan(AlignmentMethod::SmcGuidance), 4, gen), std::runtime_error);
}

TEST(AlignmentMethods, ImpossiblePlansAreErrorsBeforeAnyWork) {
  Scene s;
  KernelChoice ode;
  ode.kind = KernelKind::Ode;
  Aligner with_ode(*s.model, ode, s.reward, uniform_grid(4), {2}, small_settings());
  EXPECT_THROW(with_ode.plan(AlignmentMethod::Smc), std::invalid_argument);
  EXPECT_NO_THROW(with_ode.plan(AlignmentMethod::BestOfN));
  AlignmentSettings tight = small_settings();
  tight.particles = 8;
  tight.max_nfe = 100;  // 8 chains of 16 calls do not fit
  Aligner over(*s.model, s.kernel, s.reward, uniform_grid(4), {2}, tight);
  EXPECT_THROW(over.plan(AlignmentMethod::BestOfN), std::invalid_argument);
  EXPECT_NO_THROW(over.plan(AlignmentMethod::Plain));
  EXPECT_EQ(s.model->cost().calls, 0);
  EXPECT_THROW(Aligner(*s.model, s.kernel, s.reward, {0.5, 1.0}, {2}, small_settings()), std::invalid_argument);
}

}  // namespace
