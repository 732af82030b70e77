#include "glass/models/unet.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace glass {

namespace {
torch::nn::Conv2d conv3(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}
torch::nn::GroupNorm group_norm(int64_t channels) {
  return torch::nn::GroupNorm(std::min<int64_t>(8, channels), channels);
}
}  // namespace

ResBlockImpl::ResBlockImpl(int64_t in, int64_t out, int64_t time_dim)
    : norm1_(register_module("norm1", group_norm(in))), norm2_(register_module("norm2", group_norm(out))),
      conv1_(register_module("conv1", conv3(in, out))), conv2_(register_module("conv2", conv3(out, out))),
      time_(register_module("time", torch::nn::Linear(time_dim, out))) {
  if (in != out) skip_ = register_module("skip", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& temb) {
  torch::Tensor h = conv1_(torch::silu(norm1_(x)));
  h = h + time_(temb).unsqueeze(-1).unsqueeze(-1);
  h = conv2_(torch::silu(norm2_(h)));
  return h + (skip_ ? skip_(x) : x);
}

UnetImpl::UnetImpl(UnetOptions o) : options_(o) {
  const int64_t c0 = o.base_channels, c1 = 2 * o.base_channels, td = o.time_dim;
  // Sinusoidal features of 1000 t at geometric frequencies, as in DDPM's embedding.
  const int64_t half = 32;
  frequencies_ = register_buffer("frequencies", torch::exp(-std::log(10000.0) * torch::arange(half) / half) * 1000.0);
  time_mlp_ = register_module(
      "time_mlp", torch::nn::Sequential(torch::nn::Linear(2 * half, td), torch::nn::SiLU(), torch::nn::Linear(td, td)));
  stem_ = register_module("stem", conv3(o.in_channels, c0));
  enc0_ = register_module("enc0", ResBlock(c0, c0, td));
  down0_ = register_module("down0", conv3(c0, c0, 2));
  enc1_ = register_module("enc1", ResBlock(c0, c1, td));
  down1_ = register_module("down1", conv3(c1, c1, 2));
  mid0_ = register_module("mid0", ResBlock(c1, c1, td));
  mid1_ = register_module("mid1", ResBlock(c1, c1, td));
  dec1_ = register_module("dec1", ResBlock(c1 + c1, c1, td));
  dec0_ = register_module("dec0", ResBlock(c1 + c0, c0, td));
  out_norm_ = register_module("out_norm", group_norm(c0));
  out_conv_ = register_module("out_conv", conv3(c0, o.out_channels > 0 ? o.out_channels : o.in_channels));
  if (o.classes > 0) {
    // Zero at the start: a conditional network initialised from an unconditional one begins as it.
    label_embedding_ = register_module("label_embedding", torch::nn::Embedding(o.classes + 1, td));
    torch::NoGradGuard no_grad;
    label_embedding_->weight.zero_();
  }
}

torch::Tensor UnetImpl::forward_labelled(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& labels) {
  if (!label_embedding_) throw std::invalid_argument("this U-Net is not class-conditional: it takes no labels");
  const torch::Tensor l = labels.to(x.device(), torch::kInt64).reshape({-1});
  if (l.size(0) != x.size(0))
    throw std::invalid_argument("labels for " + std::to_string(l.size(0)) + " of " + std::to_string(x.size(0)) +
                                " samples");
  if (l.numel() > 0 && (l.min().item<int64_t>() < 0 || l.max().item<int64_t>() > options_.classes))
    throw std::invalid_argument("class labels must lie in 0.." + std::to_string(options_.classes) + " (" +
                                std::to_string(options_.classes) + ": the null label)");
  return forward(x, t, label_embedding_(l).to(x.scalar_type()));
}

torch::Tensor UnetImpl::forward(const torch::Tensor& x, const torch::Tensor& t) { return forward(x, t, {}); }

torch::Tensor UnetImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& embedding_offset) {
  const torch::Tensor angles = t.to(x.scalar_type()).reshape({-1, 1}) * frequencies_.unsqueeze(0);
  torch::Tensor temb = time_mlp_->forward(torch::cat({angles.sin(), angles.cos()}, 1));
  if (embedding_offset.defined()) temb = temb + embedding_offset;
  const torch::Tensor s0 = enc0_(stem_(x), temb);          // H
  const torch::Tensor s1 = enc1_(down0_(s0), temb);        // H/2
  torch::Tensor h = mid1_(mid0_(down1_(s1), temb), temb);  // H/4
  namespace F = torch::nn::functional;
  const auto up = F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest);
  h = dec1_(torch::cat({F::interpolate(h, up), s1}, 1), temb);  // H/2
  h = dec0_(torch::cat({F::interpolate(h, up), s0}, 1), temb);  // H
  return out_conv_(torch::silu(out_norm_(h)));
}

}  // namespace glass
