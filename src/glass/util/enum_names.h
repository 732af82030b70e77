#pragma once
// One table of names per enum: its parser, its printer, the command line's choices and the lists
// in its errors all read the same table, so a name is written once.
#include <stdexcept>
#include <string>
#include <vector>

#include "glass/util/parse.h"

namespace glass {

template <class E>
struct NamedValue {
  const char* name;
  E value;
  bool offered = true;  // false: an alias accepted on input but not listed (e.g. diffusers' names)
};

template <class E>
using NameTable = std::vector<NamedValue<E>>;

// The names offered to users, in table order (CLI choices, help and error texts).
template <class E>
std::vector<std::string> offered_names(const NameTable<E>& table) {
  std::vector<std::string> out;
  for (const NamedValue<E>& n : table)
    if (n.offered) out.emplace_back(n.name);
  return out;
}

template <class E>
std::string joined_names(const NameTable<E>& table) {
  std::string out;
  for (const std::string& n : offered_names(table)) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Throws std::invalid_argument("unknown <what> 'text' (a, b, c)").
template <class E>
E parse_named(const NameTable<E>& table, const std::string& text, const std::string& what) {
  for (const NamedValue<E>& n : table)
    if (text == n.name) return n.value;
  throw std::invalid_argument("unknown " + what + " " + quote(text) + " (" + joined_names(table) + ")");
}

// The value's first name in the table (its canonical name).
template <class E>
std::string name_of(const NameTable<E>& table, E value) {
  for (const NamedValue<E>& n : table)
    if (n.value == value) return n.name;
  return "?";
}

}  // namespace glass
