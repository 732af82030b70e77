#pragma once
// glass.cpp's public API in one include: models and their conventions, transition kernels,
// sampling, rewards, guidance and the alignment methods. Parts used only inside the library
// (coefficient algebra, file-format checks, image drawing) are not included here.

// Models: the boundary that converts every ecosystem's convention, the exact mixture oracle, files.
#include "glass/models/classifier_free_guidance.h"
#include "glass/models/exported_network.h"
#include "glass/models/flow_model.h"
#include "glass/models/gaussian_mixture.h"
#include "glass/models/mixture_network.h"
#include "glass/models/model_file.h"
#include "glass/models/model_spec.h"
#include "glass/models/network.h"
#include "glass/models/network_flow_model.h"
#include "glass/models/placement.h"
#include "glass/schedules/schedule.h"

// Transitions x_t -> x_t' and chains of them.
#include "glass/sampling/kernel_choice.h"
#include "glass/sampling/sampler.h"
#include "glass/sampling/time_grid.h"
#include "glass/transitions/ddpm_transition.h"
#include "glass/transitions/exact_mixture_transition.h"
#include "glass/transitions/glass_transition.h"
#include "glass/transitions/ode_transition.h"
#include "glass/transitions/sde_transition.h"
#include "glass/transitions/transition.h"

// Rewards, guidance and alignment.
#include "glass/alignment/alignment_methods.h"
#include "glass/alignment/best_of_n.h"
#include "glass/alignment/group_weights.h"
#include "glass/alignment/smc.h"
#include "glass/guidance/denoiser_guidance.h"
#include "glass/guidance/guided_flow_model.h"
#include "glass/guidance/value_guided_kernel.h"
#include "glass/rewards/analytic_rewards.h"
#include "glass/rewards/exported_reward.h"
#include "glass/rewards/reward.h"
#include "glass/rewards/reward_spec.h"
#include "glass/values/multilevel_value.h"
#include "glass/values/posterior_sampler.h"
#include "glass/values/value_estimate.h"

// Diamond Maps: one-call posterior samples and transitions distilled from GLASS.
#include "glass/diamond/diamond_map.h"
#include "glass/diamond/diamond_trainer.h"
#include "glass/diamond/diamond_transition.h"
#include "glass/diamond/diamond_unet.h"

// Measuring samples, and seeded randomness.
#include "glass/stats/energy_distance.h"
#include "glass/stats/mixture_fit.h"
#include "glass/util/random.h"
