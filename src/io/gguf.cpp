#include "io/gguf.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace sunbae::io {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr int kMaxDims = 4;              // GGML_MAX_DIMS
constexpr size_t kMaxNameBytes = 256;    // ggml allows 63; longer names are corrupt or hostile
constexpr size_t kMaxKeyBytes = 65535;
constexpr int kMaxArrayDepth = 4;

// ggml type ids with their block size and bytes per block (ggml-common.h), and the DType Sunbae
// computes them as, if any. Types absent here cannot be sized, so a file using one is refused.
struct GgmlType {
  uint32_t id;
  const char* name;
  int64_t block;
  uint64_t bytes;
  std::optional<DType> dtype;
};
const GgmlType kGgmlTypes[] = {
    {0, "F32", 1, 4, DType::F32},         {1, "F16", 1, 2, DType::F16},
    {2, "Q4_0", 32, 18, DType::Q4_0},     {3, "Q4_1", 32, 20, DType::Q4_1},
    {6, "Q5_0", 32, 22, DType::Q5_0},     {7, "Q5_1", 32, 24, DType::Q5_1},
    {8, "Q8_0", 32, 34, DType::Q8_0},     {9, "Q8_1", 32, 36, {}},
    {10, "Q2_K", 256, 84, {}},            {11, "Q3_K", 256, 110, {}},
    {12, "Q4_K", 256, 144, DType::Q4_K},  {13, "Q5_K", 256, 176, DType::Q5_K},
    {14, "Q6_K", 256, 210, DType::Q6_K},  {15, "Q8_K", 256, 292, {}},
    {16, "IQ2_XXS", 256, 66, {}},         {17, "IQ2_XS", 256, 74, {}},
    {18, "IQ3_XXS", 256, 98, {}},         {19, "IQ1_S", 256, 50, {}},
    {20, "IQ4_NL", 32, 18, {}},           {21, "IQ3_S", 256, 110, {}},
    {22, "IQ2_S", 256, 82, {}},           {23, "IQ4_XS", 256, 136, {}},
    {24, "I8", 1, 1, {}},                 {25, "I16", 1, 2, {}},
    {26, "I32", 1, 4, {}},                {27, "I64", 1, 8, {}},
    {28, "F64", 1, 8, {}},                {29, "IQ1_M", 256, 56, {}},
    {30, "BF16", 1, 2, DType::BF16},      {34, "TQ1_0", 256, 54, {}},
    {35, "TQ2_0", 256, 66, {}},           {39, "MXFP4", 32, 17, {}},
};

const GgmlType* find_ggml_type(uint32_t id) {
  for (const GgmlType& t : kGgmlTypes)
    if (t.id == id) return &t;
  return nullptr;
}

// Smallest encoding of one value of each type: what a claimed element count is checked against
// before anything is reserved, so a lying count cannot make us allocate more than the file holds.
uint64_t min_value_bytes(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    case GgufType::STRING: return 8;       // the length
    case GgufType::ARRAY: return 4 + 8;    // element type and count
  }
  return 1;
}

bool valid_type(uint32_t t) { return t <= uint32_t(GgufType::F64); }

// Bounds-checked little-endian reader over the mapped bytes; every read names what it reads.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* p, uint64_t size) : path_(path), p_(p), size_(size) {}
  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  void need(uint64_t n, const std::string& what) const {
    SUNBAE_CHECK(n <= left(), path_, ": ", what, " at byte ", pos_, " needs ", n,
                 " bytes, only ", left(), " left in the file (truncated?)");
  }
  template <class T>
  T scalar(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));  // GGUF is little-endian, as is every host we build for
    pos_ += sizeof(T);
    return v;
  }
  std::string string(const std::string& what, uint64_t max_len = UINT64_MAX) {
    const uint64_t n = scalar<uint64_t>(what + " length");
    SUNBAE_CHECK(n <= max_len, path_, ": ", what, " at byte ", pos_ - 8, " claims ", n,
                 " bytes; the limit is ", max_len);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), size_t(n));
    pos_ += n;
    return s;
  }
  // A claimed count of items each at least min_bytes long must fit in what is left.
  void check_count(uint64_t count, uint64_t min_bytes, const std::string& what) const {
    SUNBAE_CHECK(count <= left() / min_bytes, path_, ": ", what, " claims ", count,
                 " entries, but the ", left(), " bytes left in the file hold at most ",
                 left() / min_bytes);
  }

 private:
  const std::string& path_;
  const uint8_t* p_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

int64_t read_int(Cursor& c, GgufType t, const std::string& what) {
  switch (t) {
    case GgufType::U8: return c.scalar<uint8_t>(what);
    case GgufType::I8: return c.scalar<int8_t>(what);
    case GgufType::U16: return c.scalar<uint16_t>(what);
    case GgufType::I16: return c.scalar<int16_t>(what);
    case GgufType::U32: return c.scalar<uint32_t>(what);
    case GgufType::I32: return c.scalar<int32_t>(what);
    case GgufType::I64: return c.scalar<int64_t>(what);
    default: return 0;
  }
}

GgufValue read_value(Cursor& c, GgufType t, const std::string& what, int depth);

void read_array(Cursor& c, GgufValue& v, const std::string& what, int depth) {
  const uint32_t et = c.scalar<uint32_t>(what + " element type");
  SUNBAE_CHECK(valid_type(et), what, ": unknown array element type ", et);
  v.elem = GgufType(et);
  SUNBAE_CHECK(depth < kMaxArrayDepth || v.elem != GgufType::ARRAY, what,
               ": arrays nested deeper than ", kMaxArrayDepth);
  const uint64_t n = c.scalar<uint64_t>(what + " element count");
  c.check_count(n, min_value_bytes(v.elem), what);
  switch (v.elem) {
    case GgufType::STRING:
      v.strings.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i) v.strings.push_back(c.string(what));
      break;
    case GgufType::ARRAY:
      v.items.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i) v.items.push_back(read_value(c, GgufType::ARRAY, what, depth + 1));
      break;
    case GgufType::F32:
    case GgufType::F64:
      v.floats.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i)
        v.floats.push_back(v.elem == GgufType::F32 ? double(c.scalar<float>(what)) : c.scalar<double>(what));
      break;
    case GgufType::U64:
      v.ints.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t u = c.scalar<uint64_t>(what);
        SUNBAE_CHECK(u <= uint64_t(INT64_MAX), what, ": element ", i, " = ", u, " exceeds int64");
        v.ints.push_back(int64_t(u));
      }
      break;
    case GgufType::BOOL:
      v.ints.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i) {
        const uint8_t b = c.scalar<uint8_t>(what);
        SUNBAE_CHECK(b <= 1, what, ": element ", i, " is ", int(b), ", not a bool (0 or 1)");
        v.ints.push_back(b);
      }
      break;
    default:
      v.ints.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i) v.ints.push_back(read_int(c, v.elem, what));
  }
}

GgufValue read_value(Cursor& c, GgufType t, const std::string& what, int depth) {
  GgufValue v;
  v.type = t;
  switch (t) {
    case GgufType::STRING: v.s = c.string(what); break;
    case GgufType::ARRAY: read_array(c, v, what, depth); break;
    case GgufType::F32: v.f = c.scalar<float>(what); break;
    case GgufType::F64: v.f = c.scalar<double>(what); break;
    case GgufType::U64: v.u = c.scalar<uint64_t>(what); v.i = int64_t(v.u); break;
    case GgufType::BOOL: {
      const uint8_t b = c.scalar<uint8_t>(what);
      SUNBAE_CHECK(b <= 1, what, ": ", int(b), " is not a bool (0 or 1)");
      v.i = b;
      break;
    }
    default: v.i = read_int(c, t, what); v.u = uint64_t(v.i);
  }
  return v;
}

}  // namespace

const char* gguf_type_name(GgufType t) {
  static const char* const kNames[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                       "bool", "string", "array", "u64", "i64", "f64"};
  return valid_type(uint32_t(t)) ? kNames[uint32_t(t)] : "?";
}

std::string ggml_type_name(uint32_t type) {
  const GgmlType* t = find_ggml_type(type);
  return t ? t->name : cat("type ", type);
}

bool GgufValue::is_int() const {
  switch (type) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
    case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64: return true;
    default: return false;
  }
}

size_t GgufValue::size() const {
  return ints.size() + floats.size() + strings.size() + items.size();
}

bool GgufFile::sniff(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint32_t magic = 0;
  const bool ok = ::read(fd, &magic, 4) == 4 && magic == kMagic;
  ::close(fd);
  return ok;
}

std::shared_ptr<GgufFile> GgufFile::open(const std::string& path) {
  auto g = std::shared_ptr<GgufFile>(new GgufFile());
  g->file_ = MappedFile::open(path);
  const uint64_t size = g->file_->size();
  Cursor c(path, g->file_->data(), size);

  SUNBAE_CHECK(size >= 4 && c.scalar<uint32_t>("magic") == kMagic, path,
               ": not a GGUF file (no \"GGUF\" magic)");
  g->version_ = c.scalar<uint32_t>("version");
  SUNBAE_CHECK(g->version_ == 2 || g->version_ == 3, path, ": GGUF version ", g->version_,
               " is not supported (2 and 3 are)");
  const uint64_t n_tensors = c.scalar<uint64_t>("tensor count");
  const uint64_t n_kv = c.scalar<uint64_t>("metadata count");
  // Each key is at least its length, a value type and one byte of value.
  c.check_count(n_kv, 8 + 4 + 1, "metadata count");

  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.string(cat("metadata key #", i), kMaxKeyBytes);
    const std::string what = cat(path, ": metadata '", key, "'");
    const uint32_t t = c.scalar<uint32_t>(what + " type");
    SUNBAE_CHECK(valid_type(t), what, ": unknown value type ", t);
    GgufValue v = read_value(c, GgufType(t), what, 1);
    SUNBAE_CHECK(!g->kv_.count(key), what, ": duplicate key");
    g->kv_.emplace(std::move(key), std::move(v));
  }

  if (const GgufValue* a = g->find("general.alignment")) {
    SUNBAE_CHECK(a->is_int() && a->i > 0 && a->i <= (1 << 30) && (a->i & (a->i - 1)) == 0, path,
                 ": general.alignment must be a power of two up to 2^30, got ",
                 a->is_int() ? std::to_string(a->i) : gguf_type_name(a->type));
    g->alignment_ = uint64_t(a->i);
  }

  // name (8+), n_dims (4), at least one dim (8), type (4), offset (8)
  c.check_count(n_tensors, 8 + 4 + 8 + 4 + 8, "tensor count");
  g->tensors_.reserve(size_t(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    t.name = c.string(cat("tensor #", i, " name"), kMaxNameBytes);
    const std::string what = cat(path, ": tensor '", t.name, "'");
    SUNBAE_CHECK(!g->index_.count(t.name), what, ": duplicate tensor name");
    const uint32_t nd = c.scalar<uint32_t>(what + " n_dims");
    SUNBAE_CHECK(nd >= 1 && nd <= uint32_t(kMaxDims), what, ": n_dims ", nd, " outside 1..", kMaxDims);
    std::vector<int64_t> ne(nd);
    uint64_t numel = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      const uint64_t n = c.scalar<uint64_t>(what + " dim");
      SUNBAE_CHECK(n >= 1 && n <= uint64_t(INT64_MAX), what, ": dimension ", d, " is ", n);
      SUNBAE_CHECK(!__builtin_mul_overflow(numel, n, &numel) && numel <= uint64_t(INT64_MAX), what,
                   ": element count overflows");
      ne[d] = int64_t(n);
    }
    t.ggml_type = c.scalar<uint32_t>(what + " type");
    const GgmlType* gt = find_ggml_type(t.ggml_type);
    SUNBAE_CHECK(gt, what, ": unknown ggml type ", t.ggml_type);
    SUNBAE_CHECK(ne[0] % gt->block == 0, what, ": row length ", ne[0], " is not a multiple of ",
                 gt->name, "'s block of ", gt->block);
    t.dtype = gt->dtype;
    SUNBAE_CHECK(numel / uint64_t(gt->block) <= UINT64_MAX / gt->bytes, what, ": byte size overflows");
    t.nbytes = numel / uint64_t(gt->block) * gt->bytes;
    t.offset = c.scalar<uint64_t>(what + " offset");
    SUNBAE_CHECK(t.offset % g->alignment_ == 0, what, ": offset ", t.offset,
                 " is not a multiple of the alignment ", g->alignment_);
    t.shape.assign(ne.rbegin(), ne.rend());
    g->index_.emplace(t.name, g->tensors_.size());
    g->tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t pad = (g->alignment_ - c.pos() % g->alignment_) % g->alignment_;
  const uint64_t data_start = c.pos() + pad;
  const uint64_t data_size = data_start <= size ? size - data_start : 0;
  SUNBAE_CHECK(g->tensors_.empty() || data_start <= size, path, ": data section would start at byte ",
               data_start, ", past the end of the ", size, "-byte file");
  g->data_ = g->file_->data() + std::min(data_start, size);

  std::vector<const GgufTensor*> by_offset;
  for (const GgufTensor& t : g->tensors_) {
    uint64_t end = 0;
    SUNBAE_CHECK(!__builtin_add_overflow(t.offset, t.nbytes, &end) && end <= data_size, path,
                 ": tensor '", t.name, "' spans bytes [", t.offset, ", ", t.offset, " + ", t.nbytes,
                 ") of a data section of ", data_size, " bytes (truncated file or lying offset)");
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensor& a = *by_offset[i - 1];
    const GgufTensor& b = *by_offset[i];
    SUNBAE_CHECK(a.offset + a.nbytes <= b.offset || a.nbytes == 0, path, ": tensors '", a.name,
                 "' and '", b.name, "' overlap");
  }
  return g;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

namespace {
const GgufValue& need(const GgufFile& g, std::string_view key) {
  const GgufValue* v = g.find(key);
  SUNBAE_CHECK(v, g.path(), ": metadata '", key, "' is missing");
  return *v;
}
}  // namespace

std::string GgufFile::get_string(std::string_view key) const {
  const GgufValue& v = need(*this, key);
  SUNBAE_CHECK(v.type == GgufType::STRING, path(), ": metadata '", key, "' is ",
               gguf_type_name(v.type), ", expected string");
  return v.s;
}

int64_t GgufFile::get_int(std::string_view key) const {
  const GgufValue& v = need(*this, key);
  SUNBAE_CHECK(v.is_int(), path(), ": metadata '", key, "' is ", gguf_type_name(v.type),
               ", expected an integer");
  SUNBAE_CHECK(v.type != GgufType::U64 || v.u <= uint64_t(INT64_MAX), path(), ": metadata '", key,
               "' = ", v.u, " is out of range");
  return v.i;
}

double GgufFile::get_float(std::string_view key) const {
  const GgufValue& v = need(*this, key);
  if (v.is_int()) return double(v.i);
  SUNBAE_CHECK(v.type == GgufType::F32 || v.type == GgufType::F64, path(), ": metadata '", key,
               "' is ", gguf_type_name(v.type), ", expected a number");
  return v.f;
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufValue& v = need(*this, key);
  SUNBAE_CHECK(v.type == GgufType::BOOL, path(), ": metadata '", key, "' is ",
               gguf_type_name(v.type), ", expected bool");
  return v.i != 0;
}

const GgufTensor* GgufFile::tensor(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

TensorView GgufFile::view(const GgufTensor& t) const {
  SUNBAE_CHECK(t.dtype.has_value(), path(), ": tensor '", t.name, "' has type ",
               ggml_type_name(t.ggml_type),
               ", which Sunbae does not compute with (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)");
  return TensorView{data_ + t.offset, *t.dtype, t.shape};
}

}  // namespace sunbae::io
