// GGUF reader: a well-formed file read back value by value, then truncated, oversized-count,
// misaligned and lying files generated here: each must give a clear Error, never a crash or a
// huge allocation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/gguf.h"

namespace fs = std::filesystem;
using sunbae::DType;
using sunbae::Error;
using sunbae::io::GgufFile;
using sunbae::io::GgufType;

namespace {

// Little-endian GGUF bytes, built field by field so each test can lie in exactly one place.
struct Writer {
  std::string b;
  template <class T>
  Writer& pod(T v) {
    b.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  Writer& u32(uint32_t v) { return pod(v); }
  Writer& u64(uint64_t v) { return pod(v); }
  Writer& str(const std::string& s) {
    u64(s.size());
    b += s;
    return *this;
  }
  Writer& key(const std::string& k, GgufType t) { return str(k).u32(uint32_t(t)); }
  Writer& pad_to(uint64_t align) {
    while (b.size() % align) b += '\0';
    return *this;
  }
};

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> ne;  // innermost first
  uint32_t type;
  uint64_t offset;
};

// A header with the given metadata bytes (already encoded, n_kv entries) and tensors.
Writer header(uint32_t version, uint64_t n_kv, const std::string& kv_bytes,
              const std::vector<TensorSpec>& tensors) {
  Writer w;
  w.b = "GGUF";
  w.u32(version).u64(tensors.size()).u64(n_kv);
  w.b += kv_bytes;
  for (const TensorSpec& t : tensors) {
    w.str(t.name).u32(uint32_t(t.ne.size()));
    for (uint64_t n : t.ne) w.u64(n);
    w.u32(t.type).u64(t.offset);
  }
  return w;
}

// Every metadata type, arrays included, plus an F32 [3, 4] tensor and a Q8_0 [2, 32] one.
std::string valid_file(uint32_t version = 3, uint64_t alignment = 32) {
  Writer kv;
  kv.key("general.architecture", GgufType::STRING).str("llama");
  kv.key("general.alignment", GgufType::U32).u32(uint32_t(alignment));
  kv.key("t.u8", GgufType::U8).pod(uint8_t(200));
  kv.key("t.i8", GgufType::I8).pod(int8_t(-5));
  kv.key("t.u16", GgufType::U16).pod(uint16_t(60000));
  kv.key("t.i16", GgufType::I16).pod(int16_t(-30000));
  kv.key("t.i32", GgufType::I32).pod(int32_t(-7));
  kv.key("t.f32", GgufType::F32).pod(1.5f);
  kv.key("t.bool", GgufType::BOOL).pod(uint8_t(1));
  kv.key("t.u64", GgufType::U64).u64(1ull << 40);
  kv.key("t.i64", GgufType::I64).pod(int64_t(-1) << 40);
  kv.key("t.f64", GgufType::F64).pod(2.25);
  kv.key("t.strs", GgufType::ARRAY).u32(uint32_t(GgufType::STRING)).u64(3).str("a").str("").str("안녕");
  kv.key("t.ints", GgufType::ARRAY).u32(uint32_t(GgufType::I32)).u64(2).pod(int32_t(4)).pod(int32_t(-4));
  kv.key("t.floats", GgufType::ARRAY).u32(uint32_t(GgufType::F32)).u64(2).pod(0.5f).pod(-1.0f);
  kv.key("t.nested", GgufType::ARRAY).u32(uint32_t(GgufType::ARRAY)).u64(1)
      .u32(uint32_t(GgufType::U8)).u64(2).pod(uint8_t(1)).pod(uint8_t(2));
  const uint64_t f32_bytes = 3 * 4 * 4, q8_bytes = 2 * 34;
  const uint64_t q8_offset = (f32_bytes + alignment - 1) / alignment * alignment;
  Writer w = header(version, 16, kv.b,
                    {{"a.weight", {4, 3}, 0, 0}, {"b.weight", {32, 2}, 8, q8_offset}});
  w.pad_to(alignment);
  for (int i = 0; i < 12; ++i) w.pod(float(i));
  w.pad_to(alignment);
  for (uint64_t i = 0; i < q8_bytes; ++i) w.pod(uint8_t(i));
  return w.b;
}

class GgufTest : public ::testing::Test {
 protected:
  GgufTest() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() / ("sunbae_gguf_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(counter++));
    fs::create_directories(dir_);
  }
  ~GgufTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& bytes) {
    const std::string p = (dir_ / "m.gguf").string();
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    return p;
  }
  // Opening must throw sunbae::Error (not bad_alloc, not a crash) with `needle` in its message.
  void expect_error(const std::string& bytes, const std::string& needle) {
    const std::string p = write(bytes);
    try {
      GgufFile::open(p);
      ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "names the file: " << e.what();
    }
  }
  fs::path dir_;
};

}  // namespace

TEST_F(GgufTest, ReadsEveryValueTypeAndTensors) {
  for (uint32_t version : {2u, 3u}) {
    auto g = GgufFile::open(write(valid_file(version, 64)));
    EXPECT_EQ(g->version(), version);
    EXPECT_EQ(g->alignment(), 64u);
    EXPECT_EQ(g->get_string("general.architecture"), "llama");
    EXPECT_EQ(g->get_int("t.u8"), 200);
    EXPECT_EQ(g->get_int("t.i8"), -5);
    EXPECT_EQ(g->get_int("t.u16"), 60000);
    EXPECT_EQ(g->get_int("t.i16"), -30000);
    EXPECT_EQ(g->get_int("t.i32"), -7);
    EXPECT_EQ(g->get_float("t.f32"), 1.5);
    EXPECT_TRUE(g->get_bool("t.bool"));
    EXPECT_EQ(g->get_int("t.u64"), int64_t(1) << 40);
    EXPECT_EQ(g->get_int("t.i64"), -(int64_t(1) << 40));
    EXPECT_EQ(g->get_float("t.f64"), 2.25);
    EXPECT_EQ(g->find("t.strs")->strings, (std::vector<std::string>{"a", "", "안녕"}));
    EXPECT_EQ(g->find("t.ints")->ints, (std::vector<int64_t>{4, -4}));
    EXPECT_EQ(g->find("t.floats")->floats, (std::vector<double>{0.5, -1.0}));
    ASSERT_EQ(g->find("t.nested")->items.size(), 1u);
    EXPECT_EQ(g->find("t.nested")->items[0].ints, (std::vector<int64_t>{1, 2}));
    EXPECT_THROW(g->get_int("general.architecture"), Error);
    EXPECT_THROW(g->get_string("missing.key"), Error);

    ASSERT_EQ(g->tensors().size(), 2u);
    const auto* a = g->tensor("a.weight");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->shape, (std::vector<int64_t>{3, 4}));  // outermost first
    const sunbae::TensorView v = g->view(*a);
    EXPECT_EQ(v.dtype, DType::F32);
    EXPECT_EQ(static_cast<const float*>(v.data)[11], 11.0f);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data) % 64, 0u);
    const auto* b = g->tensor("b.weight");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->nbytes, 68u);
    EXPECT_EQ(g->view(*b).dtype, DType::Q8_0);
    EXPECT_EQ(static_cast<const uint8_t*>(g->view(*b).data)[67], 67);
  }
}

// Every prefix of a valid file: the reader must notice, whatever field the cut falls in.
TEST_F(GgufTest, EveryTruncationIsAnError) {
  const std::string full = valid_file();
  GgufFile::open(write(full));
  for (size_t n = 0; n < full.size(); ++n) {
    const std::string p = write(full.substr(0, n));
    EXPECT_THROW(GgufFile::open(p), Error) << "prefix of " << n << " bytes";
  }
}

TEST_F(GgufTest, BadMagicAndVersion) {
  std::string f = valid_file();
  f[0] = 'X';
  expect_error(f, "not a GGUF file");
  expect_error(valid_file(1), "version 1 is not supported");
  expect_error(valid_file(4), "version 4 is not supported");
  expect_error("", "not a GGUF file");
}

// Counts far beyond what the file could hold must fail before any allocation is sized by them.
TEST_F(GgufTest, OversizedCountsFailWithoutAllocating) {
  expect_error(header(3, uint64_t(1) << 60, "", {}).b, "metadata count claims");
  Writer t = header(3, 0, "", {});
  std::memcpy(t.b.data() + 8, "\xff\xff\xff\xff\xff\xff\xff\x0f", 8);  // tensor count
  expect_error(t.b, "tensor count claims");
  Writer arr;
  arr.key("x", GgufType::ARRAY).u32(uint32_t(GgufType::U64)).u64(uint64_t(1) << 61);
  expect_error(header(3, 1, arr.b, {}).b, "claims");
  Writer strs;
  strs.key("x", GgufType::ARRAY).u32(uint32_t(GgufType::STRING)).u64(uint64_t(1) << 59);
  expect_error(header(3, 1, strs.b, {}).b, "claims");
  Writer s;
  s.key("x", GgufType::STRING).u64(UINT64_MAX);
  expect_error(header(3, 1, s.b, {}).b, "needs");
  Writer k;
  k.u64(uint64_t(1) << 62);  // key length
  expect_error(header(3, 1, k.b, {}).b, "claims");
}

TEST_F(GgufTest, MisalignedTensorsAndAlignment) {
  Writer kv;
  kv.key("general.alignment", GgufType::U32).u32(32);
  Writer w = header(3, 1, kv.b, {{"a", {4}, 0, 4}});
  w.pad_to(32);
  w.b += std::string(64, '\0');
  expect_error(w.b, "is not a multiple of the alignment");

  for (uint32_t bad : {0u, 3u, 48u}) {
    Writer a;
    a.key("general.alignment", GgufType::U32).u32(bad);
    expect_error(header(3, 1, a.b, {}).b, "power of two");
  }
  Writer f;
  f.key("general.alignment", GgufType::F32).pod(32.0f);
  expect_error(header(3, 1, f.b, {}).b, "power of two");
}

TEST_F(GgufTest, LyingTensorInfos) {
  auto with_data = [](std::vector<TensorSpec> ts, size_t data_bytes) {
    Writer w = header(3, 0, "", ts);
    w.pad_to(32);
    w.b += std::string(data_bytes, '\0');
    return w.b;
  };
  expect_error(with_data({{"a", {4, 4}, 0, 0}}, 32), "spans bytes");                // needs 64
  expect_error(with_data({{"a", {4}, 0, UINT64_MAX - 31}}, 32), "spans bytes");      // offset wraps
  expect_error(with_data({{"a", {8}, 0, 0}, {"b", {8}, 0, 0}}, 64), "overlap");
  expect_error(with_data({{"a", {8}, 0, 0}, {"a", {8}, 0, 32}}, 64), "duplicate tensor name");
  expect_error(with_data({{"a", {1ull << 32, 1ull << 32}, 0, 0}}, 32), "overflows");
  expect_error(with_data({{"a", {1ull << 62, 4}, 0, 0}}, 32), "overflows");
  expect_error(with_data({{"a", {0}, 0, 0}}, 32), "dimension 0 is 0");
  expect_error(with_data({{"a", {1, 1, 1, 1, 1}, 0, 0}}, 32), "n_dims 5");
  expect_error(with_data({{"a", {32}, 99, 0}}, 32), "unknown ggml type 99");
  expect_error(with_data({{"a", {48}, 12, 0}}, 512), "not a multiple of Q4_K's block of 256");
  Writer n = header(3, 0, "", {});
  std::memcpy(n.b.data() + 8, "\x01\0\0\0\0\0\0\0", 8);
  n.u64(1000).b += std::string(1000, 'x');
  n.b += std::string(64, '\0');
  expect_error(n.b, "the limit is 256");
}

TEST_F(GgufTest, LyingMetadata) {
  Writer dup;
  dup.key("a", GgufType::U8).pod(uint8_t(1)).key("a", GgufType::U8).pod(uint8_t(2));
  expect_error(header(3, 2, dup.b, {}).b, "duplicate key");
  Writer type;
  type.key("a", GgufType(13)).pod(uint8_t(1));
  expect_error(header(3, 1, type.b, {}).b, "unknown value type 13");
  Writer elem;
  elem.key("a", GgufType::ARRAY).u32(77).u64(1);
  expect_error(header(3, 1, elem.b, {}).b, "unknown array element type 77");
  Writer b;
  b.key("a", GgufType::BOOL).pod(uint8_t(2));
  expect_error(header(3, 1, b.b, {}).b, "not a bool");
  Writer deep;
  deep.key("a", GgufType::ARRAY);
  for (int i = 0; i < 5; ++i) deep.u32(uint32_t(GgufType::ARRAY)).u64(1);
  deep.u32(uint32_t(GgufType::U8)).u64(0);
  expect_error(header(3, 1, deep.b, {}).b, "nested deeper");
}

// Random byte corruption of a valid file: every outcome is a parsed file or an Error.
TEST_F(GgufTest, CorruptedBytesNeverCrash) {
  const std::string full = valid_file();
  std::mt19937 rng(5);
  int errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string f = full;
    const int flips = 1 + int(rng() % 4);
    for (int i = 0; i < flips; ++i) f[rng() % f.size()] = char(rng() % 256);
    try {
      auto g = GgufFile::open(write(f));
      for (const auto& t : g->tensors()) (void)t.nbytes;
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST_F(GgufTest, UnsupportedTensorTypeIsReadableButNotViewable) {
  Writer w = header(3, 0, "", {{"a", {32}, 20, 0}});  // IQ4_NL: sized, not computed with
  w.pad_to(32);
  w.b += std::string(32, '\0');
  auto g = GgufFile::open(write(w.b));
  EXPECT_EQ(g->tensor("a")->nbytes, 18u);
  try {
    g->view(*g->tensor("a"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("IQ4_NL"), std::string::npos) << e.what();
  }
}
