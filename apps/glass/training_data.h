#pragma once
// The data sets the glass command trains and distils on, as samplers of batches.
#include <string>

#include "glass/training/flow_matching_trainer.h"

namespace glass::cli {

inline const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// "fashion-mnist" (the 60,000 training images in [-1, 1], read from `data_dir`) or a 2-D toy set
// (checkerboard, moons, rings). Throws for an unknown name or unreadable files.
DataSampler training_data(const std::string& name, const std::string& data_dir = kFashionMnistDir);
// Fashion-MNIST's training images with their labels (0-9), for a class-conditional network.
LabelledDataSampler labelled_training_data(const std::string& data_dir = kFashionMnistDir);

}  // namespace glass::cli
