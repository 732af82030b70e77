#include "glass/util/parse.h"

#include <cmath>
#include <stdexcept>

namespace glass {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

double parse_double(const std::string& text, const std::string& what) {
  size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v))
    throw std::invalid_argument(what + ": '" + text + "' is not a finite number");
  return v;
}

std::vector<double> parse_double_list(const std::string& text, const std::string& what) {
  std::vector<double> out;
  for (const std::string& part : split(text, ',')) out.push_back(parse_double(part, what));
  return out;
}

}  // namespace glass
