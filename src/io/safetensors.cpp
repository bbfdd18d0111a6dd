#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <tuple>

#include "core/error.h"
#include "io/files.h"

namespace sunbae::io {

namespace {

using nlohmann::json;

// Same limit as the reference implementation: a larger header is corrupt or hostile.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

std::string errno_str(int e) { return std::error_code(e, std::generic_category()).message(); }

uint64_t load_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void store_u64_le(uint64_t v, uint8_t* p) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

// A JSON integer >= 0 (nlohmann stores those as unsigned, but "-0" parses as signed).
bool as_u64(const json& j, uint64_t* out) {
  if (j.is_number_unsigned()) {
    *out = j.get<uint64_t>();
    return true;
  }
  if (j.is_number_integer() && j.get<int64_t>() >= 0) {
    *out = uint64_t(j.get<int64_t>());
    return true;
  }
  return false;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

TensorInfo parse_entry(const std::string& path, const std::string& name, const json& entry,
                       uint64_t data_size) {
  const std::string where = cat(path, ": tensor '", name, "'");
  SUNBAE_CHECK(entry.is_object(), where, ": entry must be an object, got ", entry.type_name());
  for (const auto& [key, value] : entry.items()) {
    SUNBAE_CHECK(key == "dtype" || key == "shape" || key == "data_offsets", where,
                 ": unknown key '", key, "'");
  }
  SUNBAE_CHECK(entry.contains("dtype"), where, ": missing \"dtype\"");
  SUNBAE_CHECK(entry.contains("shape"), where, ": missing \"shape\"");
  SUNBAE_CHECK(entry.contains("data_offsets"), where, ": missing \"data_offsets\"");

  TensorInfo t;
  t.name = name;

  const json& dtype = entry["dtype"];
  SUNBAE_CHECK(dtype.is_string(), where, ": \"dtype\" must be a string, got ", dtype.type_name());
  SUNBAE_CHECK(parse_dtype(dtype.get_ref<const std::string&>(), &t.dtype), where,
               ": unsupported dtype '", dtype.get_ref<const std::string&>(),
               "' (supported: F32, F16, BF16, I8, U8, I32, I64, BOOL)");

  const json& shape = entry["shape"];
  SUNBAE_CHECK(shape.is_array(), where, ": \"shape\" must be an array, got ", shape.type_name());
  // Multiplied in the order TensorView::numel() does, so no prefix of it can overflow there.
  int64_t numel = 1;
  for (const json& d : shape) {
    uint64_t v = 0;
    SUNBAE_CHECK(as_u64(d, &v) && v <= uint64_t(std::numeric_limits<int64_t>::max()), where,
                 ": shape ", shape.dump(), " must hold non-negative 64-bit integers");
    t.shape.push_back(int64_t(v));
    SUNBAE_CHECK(!__builtin_mul_overflow(numel, int64_t(v), &numel), where, ": shape ",
                 shape.dump(), " has more elements than fit in int64");
  }

  const json& offsets = entry["data_offsets"];
  SUNBAE_CHECK(offsets.is_array() && offsets.size() == 2 && as_u64(offsets[0], &t.begin) &&
                   as_u64(offsets[1], &t.end),
               where, ": \"data_offsets\" must be [begin, end] of non-negative integers, got ",
               offsets.dump());
  SUNBAE_CHECK(t.begin <= t.end, where, ": data_offsets [", t.begin, ", ", t.end,
               "] have begin > end");
  SUNBAE_CHECK(t.end <= data_size, where, ": data_offsets [", t.begin, ", ", t.end,
               "] run past the end of the ", data_size, "-byte data section");

  uint64_t nbytes = 0;
  const bool overflow = __builtin_mul_overflow(uint64_t(numel), dtype_size(t.dtype), &nbytes);
  SUNBAE_CHECK(!overflow && nbytes == t.end - t.begin, where, ": data_offsets [", t.begin, ", ",
               t.end, "] hold ", t.end - t.begin, " bytes but ", dtype_name(t.dtype), " ",
               shape_str(t.shape), " needs ",
               overflow ? std::string("more than 2^64") : std::to_string(nbytes));
  return t;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& j) {
  SUNBAE_CHECK(j.is_object(), path, ": \"__metadata__\" must be an object, got ", j.type_name());
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : j.items()) {
    SUNBAE_CHECK(value.is_string(), path, ": \"__metadata__\" value for '", key,
                 "' must be a string, got ", value.type_name());
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

void add_file(const std::string& source, std::vector<std::shared_ptr<SafetensorsFile>>& files,
              std::map<std::string, size_t, std::less<>>& where,
              std::shared_ptr<SafetensorsFile> file) {
  const size_t idx = files.size();
  for (const TensorInfo& t : file->tensors()) {
    auto [it, inserted] = where.emplace(t.name, idx);
    SUNBAE_CHECK(inserted, source, ": tensor '", t.name, "' is in both ", files[it->second]->path(),
                 " and ", file->path());
  }
  files.push_back(std::move(file));
}

json parse_json_file(const std::string& path) {
  auto file = MappedFile::open(path);
  try {
    return json::parse(file->data(), file->data() + file->size());
  } catch (const json::parse_error& e) {
    fail(path, ": not valid JSON: ", e.what());
  }
}

bool is_plain_file_name(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos;
}

}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(path, ": cannot open: ", errno_str(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, ": cannot stat: ", errno_str(errno));
  SUNBAE_CHECK(S_ISREG(st.st_mode), path, ": not a regular file");

  std::shared_ptr<MappedFile> f(new MappedFile());
  f->path_ = path;
  // mmap rejects length 0; an empty file maps to (nullptr, 0) and the format parser reports it.
  if (st.st_size > 0) {
    void* p = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (p == MAP_FAILED) fail(path, ": cannot mmap: ", errno_str(errno));
    f->data_ = static_cast<const uint8_t*>(p);
    f->size_ = size_t(st.st_size);
  }
  return f;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  auto file = MappedFile::open(path);
  const uint64_t size = file->size();
  SUNBAE_CHECK(size >= 8, path, ": file is ", size,
               " bytes, too short for the 8-byte header length of a safetensors file");
  const uint64_t header_len = load_u64_le(file->data());
  SUNBAE_CHECK(header_len > 0, path, ": header length is 0");
  SUNBAE_CHECK(header_len <= size - 8, path, ": header length ", header_len, " exceeds the ",
               size - 8, " bytes that follow it");
  SUNBAE_CHECK(header_len <= kMaxHeaderBytes, path, ": header length ", header_len,
               " exceeds the limit of ", kMaxHeaderBytes, " bytes");

  const uint8_t* header_begin = file->data() + 8;
  json header;
  try {
    header = json::parse(header_begin, header_begin + header_len);
  } catch (const json::parse_error& e) {
    fail(path, ": header is not valid JSON: ", e.what());
  }
  SUNBAE_CHECK(header.is_object(), path, ": header must be a JSON object, got ",
               header.type_name());

  auto st = std::make_shared<SafetensorsFile>();
  const uint64_t data_size = size - 8 - header_len;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      st->metadata_ = parse_metadata(path, entry);
    } else {
      st->tensors_.push_back(parse_entry(path, name, entry, data_size));
    }
  }

  std::sort(st->tensors_.begin(), st->tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  // Empty tensors occupy no bytes, so they cannot overlap anything.
  const TensorInfo* prev = nullptr;
  for (const TensorInfo& t : st->tensors_) {
    if (t.begin == t.end) continue;
    SUNBAE_CHECK(!prev || prev->end <= t.begin, path, ": tensor '", t.name, "': data_offsets [",
                 t.begin, ", ", t.end, "] overlap tensor '", prev->name, "' [", prev->begin, ", ",
                 prev->end, "]");
    prev = &t;
  }
  for (size_t i = 0; i < st->tensors_.size(); ++i) st->index_.emplace(st->tensors_[i].name, i);

  st->data_section_ = header_begin + header_len;
  st->file_ = std::move(file);
  return st;
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

TensorView SafetensorsFile::view(const TensorInfo& t) const {
  const uint64_t data_size = file_->size() - uint64_t(data_section_ - file_->data());
  SUNBAE_CHECK(t.begin <= t.end && t.end <= data_size, path(), ": tensor '", t.name,
               "': data_offsets [", t.begin, ", ", t.end, "] lie outside this file's data section");
  return TensorView{data_section_ + t.begin, t.dtype, t.shape};
}

Checkpoint Checkpoint::open_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  SUNBAE_CHECK(fs::is_directory(dir, ec), dir, ": not a directory");
  const std::string index_path = (fs::path(dir) / "model.safetensors.index.json").string();
  const std::string single_path = (fs::path(dir) / "model.safetensors").string();

  Checkpoint ck;
  ck.source_ = dir;
  if (!fs::exists(index_path, ec)) {
    SUNBAE_CHECK(fs::exists(single_path, ec), dir,
                 ": no model.safetensors or model.safetensors.index.json");
    add_file(ck.source_, ck.files_, ck.where_, SafetensorsFile::open(single_path));
    return ck;
  }

  const json index = parse_json_file(index_path);
  SUNBAE_CHECK(index.is_object(), index_path, ": must be a JSON object, got ", index.type_name());
  SUNBAE_CHECK(index.contains("weight_map"), index_path, ": missing \"weight_map\"");
  const json& weight_map = index["weight_map"];
  SUNBAE_CHECK(weight_map.is_object(), index_path, ": \"weight_map\" must be an object, got ",
               weight_map.type_name());
  SUNBAE_CHECK(!weight_map.empty(), index_path, ": \"weight_map\" is empty");

  std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
  for (const auto& [tensor, shard] : weight_map.items()) {
    SUNBAE_CHECK(shard.is_string(), index_path, ": tensor '", tensor,
                 "': shard must be a file name string, got ", shard.type_name());
    const std::string& name = shard.get_ref<const std::string&>();
    SUNBAE_CHECK(is_plain_file_name(name), index_path, ": tensor '", tensor, "': shard '", name,
                 "' must be a plain file name inside ", dir);
    if (shards.count(name)) continue;
    const std::string shard_path = (fs::path(dir) / name).string();
    SUNBAE_CHECK(fs::exists(shard_path, ec), index_path, ": shard '", name, "' (for tensor '",
                 tensor, "') does not exist");
    auto file = SafetensorsFile::open(shard_path);
    shards.emplace(name, file);
    // Every tensor a shard holds becomes visible, listed in weight_map or not; a name held by
    // two shards is an error.
    add_file(ck.source_, ck.files_, ck.where_, std::move(file));
  }
  for (const auto& [tensor, shard] : weight_map.items()) {
    const std::string& name = shard.get_ref<const std::string&>();
    SUNBAE_CHECK(shards.at(name)->find(tensor), index_path, ": tensor '", tensor,
                 "' is mapped to shard '", name, "', which does not hold it");
  }
  return ck;
}

Checkpoint Checkpoint::open_file(const std::string& path) {
  Checkpoint ck;
  ck.source_ = path;
  add_file(ck.source_, ck.files_, ck.where_, SafetensorsFile::open(path));
  return ck;
}

bool Checkpoint::has(std::string_view name) const { return where_.find(name) != where_.end(); }

const TensorInfo& Checkpoint::info(std::string_view name) const {
  auto it = where_.find(name);
  SUNBAE_CHECK(it != where_.end(), source_, ": tensor '", name, "' not found");
  return *files_[it->second]->find(name);
}

TensorView Checkpoint::get(std::string_view name) const {
  auto it = where_.find(name);
  SUNBAE_CHECK(it != where_.end(), source_, ": tensor '", name, "' not found");
  const SafetensorsFile& file = *files_[it->second];
  return file.view(*file.find(name));
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& [name, idx] : where_) out.push_back(name);
  return out;
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, TensorView>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;

  std::set<std::string_view> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    SUNBAE_CHECK(name != "__metadata__", path, ": tensor name '__metadata__' is reserved");
    SUNBAE_CHECK(seen.insert(name).second, path, ": duplicate tensor name '", name, "'");
    int64_t numel = 1;
    for (int64_t d : t.shape) {
      SUNBAE_CHECK(d >= 0 && !__builtin_mul_overflow(numel, d, &numel), path, ": tensor '", name,
                   "': invalid shape ", shape_str(t.shape));
    }
    uint64_t nbytes = 0, end = 0;
    SUNBAE_CHECK(!__builtin_mul_overflow(uint64_t(numel), dtype_size(t.dtype), &nbytes) &&
                     !__builtin_add_overflow(offset, nbytes, &end),
                 path, ": tensor '", name, "': size overflows");
    SUNBAE_CHECK(t.data || nbytes == 0, path, ": tensor '", name, "': null data");
    header[name] = {{"dtype", dtype_name(t.dtype)},
                    {"shape", t.shape},
                    {"data_offsets", nlohmann::ordered_json::array({offset, end})}};
    offset = end;
  }

  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": cannot encode header: ", e.what());
  }
  // Padding keeps the data section 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');

  AtomicFile out(path);
  uint8_t len[8];
  store_u64_le(text.size(), len);
  out.write(len, sizeof len);
  out.write(text.data(), text.size());
  for (const auto& [name, t] : tensors) out.write(t.data, t.nbytes());
  out.commit();
}

}  // namespace sunbae::io
