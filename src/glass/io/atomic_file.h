#pragma once
// Output files appear whole or not at all: bytes go to a temporary name beside the target, which
// is renamed over it only after a successful write.
#include <functional>
#include <ostream>
#include <string>

namespace glass {

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_text_atomically(const std::string& path, const std::string& text);
// The temporary name used for `path`: libraries that write by file name (libpng) write here.
std::string temporary_name(const std::string& path);
// Renames the temporary of `path` over it; removes the temporary and throws on failure.
void commit_temporary(const std::string& path);

}  // namespace glass
