#include "glass/util/progress_bar.h"

#include <cstdio>

namespace glass {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done, const std::string& note) {
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < 1.0 && !shown_) return;
  if (shown_ && done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  shown_ = true;
  last_draw_ = now;
  const double frac = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  const double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1fs eta %.1fs %s\033[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), elapsed, eta, note.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (shown_) std::fprintf(stderr, "\n");
}

}  // namespace glass
