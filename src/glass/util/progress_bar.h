#pragma once
// A progress bar on stderr that stays silent for the first second, so quick runs print nothing.
#include <chrono>
#include <string>

namespace glass {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  ~ProgressBar();
  void update(int64_t done, const std::string& note = "");
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_, shown_ = false, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace glass
