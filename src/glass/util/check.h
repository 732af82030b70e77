#pragma once
// One-line checks of input: GLASS_CHECK(condition, parts...) throws std::invalid_argument whose
// message is the parts joined as a stream would write them (numbers shortest, as c10::str does).
//   GLASS_CHECK(steps >= 1, "glass: need at least 1 inner step (M >= 1), got ", steps);
#include <c10/util/StringUtil.h>

#include <stdexcept>

#define GLASS_CHECK(condition, ...)                                         \
  do {                                                                      \
    if (!(condition)) throw std::invalid_argument(::c10::str(__VA_ARGS__)); \
  } while (false)
