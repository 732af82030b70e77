#include "glass/util/row_chunks.h"

#include <stdexcept>

namespace glass {

torch::Tensor pad_rows(const torch::Tensor& x, int64_t rows) {
  const int64_t n = x.size(0);
  if (n < 1 || n > rows) throw std::invalid_argument("pad_rows: need 1 <= rows of x <= " + std::to_string(rows));
  if (n == rows) return x;
  std::vector<int64_t> repeat_shape = x.sizes().vec();
  repeat_shape[0] = rows - n;
  return torch::cat({x, x.narrow(0, n - 1, 1).expand(repeat_shape)});
}

}  // namespace glass
