#include "glass/util/parse.h"

#include <cmath>
#include <stdexcept>

namespace glass {

std::string quote(const std::string& text) {
  static const char* hex = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 80) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out + "'";
}

std::string one_line(const std::string& message) {
  // The first line that says something: LibTorch's messages may open with an empty one.
  const size_t start = std::min(message.find_first_not_of(" \n\r\t"), message.size());
  std::string first = message.substr(start, message.find('\n', start) - start);
  if (first.size() > 300) first = first.substr(0, 300) + "...";
  const std::string q = quote(first);
  return q.substr(1, q.size() - 2);
}

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
    throw std::invalid_argument(what + ": " + quote(text) + " is not a finite number");
  return v;
}

std::vector<double> parse_double_list(const std::string& text, const std::string& what) {
  std::vector<double> out;
  for (const std::string& part : split(text, ',')) out.push_back(parse_double(part, what));
  return out;
}

}  // namespace glass
