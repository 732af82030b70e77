#include "glass/io/zip_check.h"

#include <zlib.h>

#include <cstdint>
#include <fcntl.h>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "glass/util/parse.h"

namespace glass {

namespace {

// The file mapped read-only (a multi-gigabyte checkpoint is not copied; LibTorch then reads it
// from the page cache), with bounds-checked little-endian reads.
class Bytes {
 public:
  explicit Bytes(std::string path) : path_(std::move(path)) {
    const int fd = ::open(path_.c_str(), O_RDONLY);
    if (fd < 0) throw std::invalid_argument("cannot open '" + path_ + "'");
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw std::invalid_argument("'" + path_ + "' is not a regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m == MAP_FAILED) {
        ::close(fd);
        throw std::invalid_argument("cannot read '" + path_ + "'");
      }
      d_ = static_cast<const unsigned char*>(m);
    }
    ::close(fd);
  }
  ~Bytes() {
    if (d_) ::munmap(const_cast<unsigned char*>(d_), size_);
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;

  size_t size() const { return size_; }
  const unsigned char* at(uint64_t offset, uint64_t length) const {
    if (offset > size_ || length > size_ - offset) fail("an entry points past the end of the file");
    return d_ + offset;
  }
  uint16_t u16(uint64_t o) const {
    const unsigned char* p = at(o, 2);
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
  }
  uint32_t u32(uint64_t o) const {
    const unsigned char* p = at(o, 4);
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
  }
  uint64_t u64(uint64_t o) const { return uint64_t(u32(o)) | (uint64_t(u32(o + 4)) << 32); }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("'" + path_ + "' is not an intact archive: " + why);
  }

 private:
  std::string path_;
  const unsigned char* d_ = nullptr;
  size_t size_ = 0;
};

constexpr uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50, kZip64Locator = 0x07064b50,
                   kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;

uint32_t crc_of(const unsigned char* data, uint64_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(n, 1u << 30));
    crc = crc32(crc, data, chunk);
    data += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// CRC-32 of a raw-deflate stream inflated to `expected` bytes (throws if it inflates otherwise).
uint32_t crc_of_deflated(const Bytes& b, const unsigned char* data, uint64_t n, uint64_t expected,
                         const std::string& name) {
  z_stream s{};
  if (inflateInit2(&s, -MAX_WBITS) != Z_OK) b.fail("zlib could not start");
  std::vector<unsigned char> out(std::min<uint64_t>(expected, 1 << 20) + 1);
  uLong crc = crc32(0L, Z_NULL, 0);
  uint64_t produced = 0;
  s.next_in = const_cast<unsigned char*>(data);
  s.avail_in = static_cast<uInt>(std::min<uint64_t>(n, 1u << 30));
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    s.next_out = out.data();
    s.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&s, Z_NO_FLUSH);
    const uint64_t got = out.size() - s.avail_out;
    produced += got;
    crc = crc32(crc, out.data(), static_cast<uInt>(got));
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    if (produced > expected || (got == 0 && rc == Z_OK)) break;
  }
  inflateEnd(&s);
  if (rc != Z_STREAM_END || produced != expected) b.fail("entry " + quote(name) + " does not inflate to its size");
  return static_cast<uint32_t>(crc);
}

}  // namespace

void check_zip_archive(const std::string& path) {
  const Bytes b(path);
  if (b.size() < 22) b.fail("too short for a zip archive");
  // The end-of-directory record sits in the last 22 + 65535 bytes (after an optional comment).
  uint64_t end = b.size() - 22;
  const uint64_t lowest = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
  while (b.u32(end) != kEndOfDirectory) {
    if (end == lowest) b.fail("no zip directory found");
    --end;
  }
  uint64_t entries = b.u16(end + 10), dir_size = b.u32(end + 12), dir_offset = b.u32(end + 16);
  if (entries == 0xffff || dir_size == 0xffffffff || dir_offset == 0xffffffff) {
    if (end < 20 || b.u32(end - 20) != kZip64Locator) b.fail("zip64 sizes without a zip64 locator");
    const uint64_t record = b.u64(end - 20 + 8);
    if (b.u32(record) != kZip64End) b.fail("bad zip64 end record");
    entries = b.u64(record + 32);
    dir_size = b.u64(record + 40);
    dir_offset = b.u64(record + 48);
  }
  if (entries == 0) b.fail("the archive is empty");
  b.at(dir_offset, dir_size);
  uint64_t p = dir_offset;
  for (uint64_t i = 0; i < entries; ++i) {
    if (b.u32(p) != kDirectoryEntry) b.fail("a damaged zip directory");
    const uint16_t method = b.u16(p + 10);
    const uint32_t crc = b.u32(p + 16);
    uint64_t packed = b.u32(p + 20), size = b.u32(p + 24);
    const uint16_t name_len = b.u16(p + 28), extra_len = b.u16(p + 30), comment_len = b.u16(p + 32);
    uint64_t local = b.u32(p + 42);
    const std::string name(reinterpret_cast<const char*>(b.at(p + 46, name_len)), name_len);
    // Zip64: the 0xffffffff fields follow in order in extra field 0x0001.
    for (uint64_t e = p + 46 + name_len, stop = e + extra_len; e + 4 <= stop;) {
      const uint16_t id = b.u16(e), len = b.u16(e + 2);
      if (id == 1) {
        uint64_t f = e + 4;
        if (size == 0xffffffff) size = b.u64(f), f += 8;
        if (packed == 0xffffffff) packed = b.u64(f), f += 8;
        if (local == 0xffffffff) local = b.u64(f);
      }
      e += 4 + len;
    }
    if (b.u32(local) != kLocalHeader) b.fail("entry " + quote(name) + " has no local header");
    const uint64_t data = local + 30 + b.u16(local + 26) + b.u16(local + 28);
    const unsigned char* bytes = b.at(data, packed);
    uint32_t actual = 0;
    if (method == 0) {
      if (packed != size) b.fail("stored entry " + quote(name) + " has two sizes");
      actual = crc_of(bytes, size);
    } else if (method == 8) {
      actual = crc_of_deflated(b, bytes, packed, size, name);
    } else {
      b.fail("entry " + quote(name) + " uses compression method " + std::to_string(method));
    }
    if (actual != crc) b.fail("entry " + quote(name) + " fails its CRC-32 check");
    p += 46 + name_len + extra_len + comment_len;
  }
}

}  // namespace glass
