#pragma once
// Small, strict string parsing helpers: a bad number is an error naming what was being read.
#include <string>
#include <vector>

namespace glass {

std::vector<std::string> split(const std::string& text, char sep);
double parse_double(const std::string& text, const std::string& what);
std::vector<double> parse_double_list(const std::string& text, const std::string& what);

}  // namespace glass
