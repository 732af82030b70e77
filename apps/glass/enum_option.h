#pragma once
// A flag bound straight to a field of one of the library's enums: its choices are the enum's name
// table, its default (shown by --help) is the field's own value, so the library keeps the one default.
#include <CLI/CLI.hpp>

#include <string>

#include "glass/util/enum_names.h"

namespace glass::cli {

// `table` must outlive the command (the name tables are static).
template <class E>
CLI::Option* add_enum_option(CLI::App& cmd, const std::string& flags, E& target, const NameTable<E>& table,
                             const std::string& help) {
  const NameTable<E>* names = &table;
  // Only the table's names are accepted (no numbers); CLI11 then reads the value's number.
  CLI::Validator by_name(
      [names](std::string& text) -> std::string {
        for (const NamedValue<E>& n : *names)
          if (text == n.name) {
            text = std::to_string(static_cast<int>(n.value));
            return "";
          }
        return "unknown value " + quote(text) + " (" + joined_names(*names) + ")";
      },
      "");
  std::string choices;
  for (const std::string& n : offered_names(table)) choices += (choices.empty() ? "" : "|") + n;
  return cmd.add_option(flags, target, help)
      ->transform(by_name)
      ->type_name(choices)
      ->default_str(name_of(table, target));
}

}  // namespace glass::cli
