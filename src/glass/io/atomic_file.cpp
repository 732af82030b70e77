#include "glass/io/atomic_file.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace glass {

std::string temporary_name(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

void commit_temporary(const std::string& path) {
  const std::string tmp = temporary_name(path);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write '" + path + "' (rename failed)");
  }
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = temporary_name(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot open '" + path + "' for writing");
    try {
      write(out);
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());
      throw;
    }
    out.flush();
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      throw std::runtime_error("error while writing '" + path + "'");
    }
  }
  commit_temporary(path);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace glass
