#include "glass/io/tensor_files.h"

#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "glass/io/atomic_file.h"
#include "glass/util/parse.h"

namespace glass {

void write_csv(const std::string& path, const torch::Tensor& rows_in, const std::vector<std::string>& header) {
  const torch::Tensor rows =
      rows_in.detach().to(torch::kCPU, torch::kFloat64).reshape({rows_in.size(0), -1}).contiguous();
  const int64_t n = rows.size(0), d = rows.size(1);
  if (!header.empty() && static_cast<int64_t>(header.size()) != d)
    throw std::invalid_argument("csv: header has " + std::to_string(header.size()) + " names for " + std::to_string(d) +
                                " columns");
  write_file_atomically(path, [&](std::ostream& out) {
    std::vector<std::string> names = header;
    if (names.empty())
      for (int64_t j = 0; j < d; ++j) names.push_back("x" + std::to_string(j));
    for (int64_t j = 0; j < d; ++j) out << (j ? "," : "") << names[j];
    out << '\n' << std::setprecision(9);
    const double* p = rows.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < d; ++j) out << (j ? "," : "") << p[i * d + j];
      out << '\n';
    }
  });
}

void write_npy(const std::string& path, const torch::Tensor& array_in) {
  torch::Tensor a = array_in.detach().cpu().contiguous();
  if (a.scalar_type() != torch::kFloat64) a = a.to(torch::kFloat32);
  const char* descr = a.scalar_type() == torch::kFloat64 ? "<f8" : "<f4";
  std::ostringstream shape;
  shape << "(";
  for (int64_t i = 0; i < a.dim(); ++i) shape << a.size(i) << (a.dim() == 1 || i + 1 < a.dim() ? "," : "");
  shape << ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape.str() + ", }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  write_file_atomically(path, [&](std::ostream& out) {
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t len = static_cast<uint16_t>(header.size());
    const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    out.write(len_bytes, 2);
    out << header;
    out.write(static_cast<const char*>(a.data_ptr()), static_cast<std::streamsize>(a.nbytes()));
  });
}

torch::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot open '" + path + "'");
  char magic[10];
  if (!in.read(magic, 10) || std::memcmp(magic, "\x93NUMPY\x01\x00", 8) != 0)
    throw std::invalid_argument("'" + path + "' is not a version-1 .npy file");
  const size_t len = static_cast<unsigned char>(magic[8]) | (static_cast<unsigned char>(magic[9]) << 8);
  std::string header(len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(len)))
    throw std::invalid_argument("'" + path + "': truncated header");
  torch::ScalarType type;
  if (header.find("'<f4'") != std::string::npos) type = torch::kFloat32;
  else if (header.find("'<f8'") != std::string::npos) type = torch::kFloat64;
  else if (header.find("'<i8'") != std::string::npos) type = torch::kInt64;  // class labels
  else if (header.find("'<i4'") != std::string::npos) type = torch::kInt32;
  else
    throw std::invalid_argument("'" + path + "': only little-endian float32/float64/int32/int64 arrays are supported");
  if (header.find("'fortran_order': False") == std::string::npos)
    throw std::invalid_argument("'" + path + "': Fortran order is not supported");
  const size_t open = header.find('(', header.find("'shape'")), close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos) throw std::invalid_argument("'" + path + "': no shape");
  std::vector<int64_t> shape;
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  int64_t count = 1;
  for (std::string item; std::getline(dims, item, ',');) {
    if (item.find_first_not_of(' ') == std::string::npos) continue;
    size_t used = 0;
    long long d = -1;
    try {
      d = std::stoll(item, &used);
    } catch (const std::exception&) {
    }
    if (d < 0 || item.find_first_not_of(' ', used) != std::string::npos || (d > 0 && count > (int64_t(1) << 40) / d))
      throw std::invalid_argument("'" + path + "': bad shape entry " + quote(item));
    shape.push_back(d);
    count *= d;
  }
  // The declared size must be what the file holds, checked before anything is allocated.
  const std::streamoff data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff available = in.tellg() - data_start;
  in.seekg(data_start);
  const int64_t bytes = count * static_cast<int64_t>(c10::elementSize(type));
  if (available != bytes)
    throw std::invalid_argument("'" + path + "': the header declares " + std::to_string(bytes) +
                                " bytes of data, the file holds " + std::to_string(available));
  torch::Tensor a = torch::empty(shape, type);
  if (!in.read(static_cast<char*>(a.data_ptr()), static_cast<std::streamsize>(a.nbytes())))
    throw std::invalid_argument("'" + path + "': truncated data");
  return a;
}

}  // namespace glass
