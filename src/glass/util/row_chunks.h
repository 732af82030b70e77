#pragma once
// Fixed-size row chunks: what makes a batched computation batch-invariant.
#include <torch/torch.h>

namespace glass {

// x [n, ...] with n <= rows, grown to `rows` rows by repeating its last row (a real input, so a
// network or reward sees nothing it could fail on; the padded rows' outputs are dropped).
torch::Tensor pad_rows(const torch::Tensor& x, int64_t rows);

}  // namespace glass
