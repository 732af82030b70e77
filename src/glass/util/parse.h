#pragma once
// Small, strict string parsing helpers: a bad number is an error naming what was being read.
#include <string>
#include <vector>

namespace glass {

// Text as it may appear in a one-line error: in single quotes, control and non-ASCII bytes as
// \xNN, at most 80 characters of it.
std::string quote(const std::string& text);

// A library's message (LibTorch's carry source excerpts and backtraces) as one line: the first
// line only, at most 300 characters, control bytes escaped.
std::string one_line(const std::string& message);

std::vector<std::string> split(const std::string& text, char sep);
double parse_double(const std::string& text, const std::string& what);
std::vector<double> parse_double_list(const std::string& text, const std::string& what);

}  // namespace glass
