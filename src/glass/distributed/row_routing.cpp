#include "glass/distributed/row_routing.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace glass {

RowRoute::RowRoute(const ShardLayout& layout, int rank, const std::vector<std::vector<int64_t>>& wanted)
    : rank_(rank), begin_(layout.begin(rank)) {
  const int world = layout.world_size();
  if (static_cast<int>(wanted.size()) != world)
    throw std::invalid_argument("row route: need one request list per rank");
  send_rows_.assign(static_cast<size_t>(world), {});
  send_counts_.assign(static_cast<size_t>(world), 0);
  recv_counts_.assign(static_cast<size_t>(world), 0);
  // Foreign rows each rank asks for, once each, ascending: the order they travel in.
  std::vector<std::map<int, std::vector<int64_t>>> foreign(static_cast<size_t>(world));
  for (int dest = 0; dest < world; ++dest) {
    const std::set<int64_t> distinct(wanted[static_cast<size_t>(dest)].begin(),
                                     wanted[static_cast<size_t>(dest)].end());
    for (int64_t g : distinct) {
      const int src = layout.owner(g);
      if (src == dest) continue;
      foreign[static_cast<size_t>(dest)][src].push_back(g);
      ++rows_moved_;
    }
  }
  for (int dest = 0; dest < world; ++dest) {
    const auto it = foreign[static_cast<size_t>(dest)].find(rank);
    if (it == foreign[static_cast<size_t>(dest)].end()) continue;
    for (int64_t g : it->second) send_rows_[static_cast<size_t>(dest)].push_back(g - begin_);
    send_counts_[static_cast<size_t>(dest)] = static_cast<int64_t>(it->second.size());
  }
  // Where each requested row sits in cat(local, received-in-rank-order).
  std::map<int64_t, int64_t> position;
  int64_t offset = layout.count(rank);
  for (const auto& [src, rows] : foreign[static_cast<size_t>(rank)]) {
    recv_counts_[static_cast<size_t>(src)] = static_cast<int64_t>(rows.size());
    for (int64_t g : rows) position[g] = offset++;
  }
  for (int64_t g : wanted[static_cast<size_t>(rank)]) {
    const auto it = position.find(g);
    gather_.push_back(it != position.end() ? it->second : g - begin_);
  }
}

torch::Tensor RowRoute::fetch(Communicator& comm, const torch::Tensor& local) const {
  const torch::Tensor idx = torch::tensor(gather_, torch::kInt64).to(local.device());
  if (rows_moved_ == 0) return local.index_select(0, idx);
  const torch::Tensor here = local.to(comm.device()).contiguous();
  std::vector<torch::Tensor> outgoing;
  for (const std::vector<int64_t>& rows : send_rows_) {
    if (!rows.empty()) outgoing.push_back(here.index_select(0, torch::tensor(rows, torch::kInt64).to(here.device())));
  }
  std::vector<int64_t> shape = here.sizes().vec();
  shape[0] = 0;
  const torch::Tensor send = outgoing.empty() ? torch::empty(shape, here.options()) : torch::cat(outgoing);
  const torch::Tensor received = comm.all_to_all_rows(send, send_counts_, recv_counts_);
  return torch::cat({local, received.to(local.device())}).index_select(0, idx);
}

}  // namespace glass
