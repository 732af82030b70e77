#pragma once
// Supervised training of the Fashion-MNIST classifier (cross-entropy, Adam), with its test
// accuracy measured at the end. Writes model.pt and model.json into the output folder.
#include <string>

#include "glass/data/idx_reader.h"
#include "glass/models/classifier.h"

namespace glass {

struct ClassifierTrainOptions {
  int64_t epochs = 4;
  int64_t batch = 128;
  double learning_rate = 1e-3;
  uint64_t seed = 0;
  bool progress = true;
};

struct ClassifierTrainResult {
  double test_accuracy = 0.0;
  double final_loss = 0.0;
};

ClassifierTrainResult train_classifier(const LabelledImages& train, const LabelledImages& test,
                                       const ClassifierTrainOptions& options, const std::string& out_dir);

// Fraction of correctly classified images, in batches, without autograd.
double classifier_accuracy(Classifier& model, const LabelledImages& data);

// Loads a classifier saved by train_classifier: its folder, model.json + model.pt, or the .pt itself.
Classifier load_classifier(const std::string& path);

}  // namespace glass
