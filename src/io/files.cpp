#include "io/files.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include <zlib.h>

#include "core/error.h"

namespace sunbae::io {

namespace {
std::string errno_str(int e) { return std::error_code(e, std::generic_category()).message(); }
}  // namespace

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, ": read failed");
  return text;
}

std::string read_maybe_gzip(const std::string& path, size_t max_bytes) {
  std::string raw = read_text_file(path);
  if (raw.size() < 2 || uint8_t(raw[0]) != 0x1f || uint8_t(raw[1]) != 0x8b) return raw;
  z_stream zs{};
  // 15 + 32: zlib or gzip header, detected.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) fail(path, ": cannot start gzip decoder");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = uInt(raw.size());
  int rc = Z_OK;
  char buf[1 << 16];
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      fail(path, ": corrupt gzip data (", zs.msg ? zs.msg : "inflate error", ")");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      fail(path, ": decompresses to more than ", max_bytes, " bytes");
    }
    if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      fail(path, ": truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

AtomicFile::AtomicFile(const std::string& path) : path_(path), tmp_(path + ".tmp") {
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) fail(path_, ": cannot create ", tmp_, ": ", errno_str(errno));
}

AtomicFile::~AtomicFile() {
  if (f_) std::fclose(f_);
  if (!committed_) std::remove(tmp_.c_str());
}

void AtomicFile::write(const void* p, size_t n) {
  if (n > 0 && std::fwrite(p, 1, n, f_) != n)
    fail(path_, ": write to ", tmp_, " failed: ", errno_str(errno));
}

void AtomicFile::commit() {
  // fsync before rename: otherwise a crash can leave path naming a file whose data never
  // reached the disk.
  const bool flushed = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
  const int flush_errno = errno;
  const bool closed = std::fclose(f_) == 0;
  const int close_errno = errno;
  f_ = nullptr;
  if (!flushed) fail(path_, ": write to ", tmp_, " failed: ", errno_str(flush_errno));
  if (!closed) fail(path_, ": closing ", tmp_, " failed: ", errno_str(close_errno));
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) fail(path_, ": cannot rename ", tmp_, " to it: ", ec.message());
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicFile f(path);
  f.write(content.data(), content.size());
  f.commit();
}

}  // namespace sunbae::io
