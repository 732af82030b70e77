#pragma once
// A compact time-conditioned U-Net for small images (28 x 28 Fashion-MNIST), sized for CPU
// training: two resolutions below the input, one residual block per level, GroupNorm and SiLU.
#include <torch/torch.h>

namespace glass {

struct UnetOptions {
  int64_t in_channels = 1;
  int64_t base_channels = 32;  // channels at full resolution; 2x below
  int64_t time_dim = 128;
  int64_t out_channels = 0;  // 0: as many as in_channels
  // > 0: class-conditional, with a learned embedding per label 0..classes-1 and the null label
  // `classes` (classifier-free guidance's unconditional half), added to the time embedding.
  int64_t classes = 0;
};

class ResBlockImpl : public torch::nn::Module {
 public:
  ResBlockImpl(int64_t in, int64_t out, int64_t time_dim);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb);

 private:
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, skip_{nullptr};
  torch::nn::Linear time_{nullptr};
};
TORCH_MODULE(ResBlock);

class UnetImpl : public torch::nn::Module {
 public:
  explicit UnetImpl(UnetOptions options);
  // x: [N, C, H, W] with H, W divisible by 4; t: [N] flow time in [0, 1].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t);
  // The same with `embedding_offset` ([N, time_dim]) added to the time embedding: extra scalar
  // conditioning for networks built on this one (the Diamond student's s and s' - s).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& embedding_offset);
  // A class-conditional network's prediction for int64 labels [N] (the null label: unconditional).
  torch::Tensor forward_labelled(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& labels);
  const UnetOptions& options() const { return options_; }

 private:
  UnetOptions options_;
  torch::Tensor frequencies_;
  torch::nn::Sequential time_mlp_{nullptr};
  torch::nn::Conv2d stem_{nullptr}, down0_{nullptr}, down1_{nullptr}, out_conv_{nullptr};
  ResBlock enc0_{nullptr}, enc1_{nullptr}, mid0_{nullptr}, mid1_{nullptr}, dec1_{nullptr}, dec0_{nullptr};
  torch::nn::GroupNorm out_norm_{nullptr};
  torch::nn::Embedding label_embedding_{nullptr};
};
TORCH_MODULE(Unet);

}  // namespace glass
