#include "training_data.h"

#include <memory>

#include "glass/data/idx_reader.h"
#include "glass/data/toy_datasets.h"
#include "glass/util/random.h"

namespace glass::cli {

DataSampler training_data(const std::string& name, const std::string& data_dir) {
  if (name == "fashion-mnist") {
    auto train_set = std::make_shared<LabelledImages>(load_fashion_mnist("train", data_dir));
    return [train_set](int64_t batch, at::Generator& gen) {
      const torch::Tensor idx = at::randint(train_set->images.size(0), {batch}, gen, torch::kInt64);
      return train_set->images.index_select(0, idx);
    };
  }
  at::Generator probe = make_generator(0);
  sample_toy(name, 1, probe);  // rejects an unknown name before any work
  return [name](int64_t batch, at::Generator& gen) { return sample_toy(name, batch, gen); };
}

LabelledDataSampler labelled_training_data(const std::string& data_dir) {
  auto train_set = std::make_shared<LabelledImages>(load_fashion_mnist("train", data_dir));
  return [train_set](int64_t batch, at::Generator& gen) {
    const torch::Tensor idx = at::randint(train_set->images.size(0), {batch}, gen, torch::kInt64);
    return LabelledBatch{train_set->images.index_select(0, idx), train_set->labels.index_select(0, idx)};
  };
}

}  // namespace glass::cli
