#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"

namespace fs = std::filesystem;
using sunbae::DType;
using sunbae::TensorView;
using sunbae::io::Checkpoint;
using sunbae::io::SafetensorsFile;
using sunbae::io::write_safetensors;

namespace {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("sunbae_st_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
             (test ? std::string(test->name()) : std::string("x")));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), std::streamsize(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

std::string u64_le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[size_t(i)] = char(uint8_t(v >> (8 * i)));
  return s;
}

// A safetensors file written by hand: the header text as given, then data_size zero bytes.
void write_raw(const std::string& path, const std::string& header, size_t data_size) {
  write_bytes(path, u64_le(header.size()) + header + std::string(data_size, '\0'));
}

// The message of the Error that opening path throws; a test failure if it throws none.
std::string open_error(const std::string& path) {
  try {
    SafetensorsFile::open(path);
  } catch (const sunbae::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "opening " << path << " did not throw";
  return "";
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const sunbae::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "did not throw sunbae::Error";
  return "";
}

template <class T>
std::vector<T> random_values(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  for (T& x : v) x = T(rng());
  return v;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void expect_same(const TensorView& got, const TensorView& want) {
  EXPECT_EQ(got.dtype, want.dtype);
  EXPECT_EQ(got.shape, want.shape);
  ASSERT_EQ(got.nbytes(), want.nbytes());
  if (want.nbytes() > 0) {
    EXPECT_EQ(std::memcmp(got.data, want.data, want.nbytes()), 0);
  }
}

uint64_t header_length(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char b[8] = {};
  f.read(reinterpret_cast<char*>(b), 8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

}  // namespace

TEST(SafetensorsRoundTrip, AllDtypesAndMetadata) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");

  const auto f32 = random_floats(3 * 5 * 7, 1);
  std::vector<uint16_t> f16, bf16;
  for (float x : random_floats(64, 2)) f16.push_back(sunbae::f32_to_f16(x));
  for (float x : random_floats(12, 3)) bf16.push_back(sunbae::f32_to_bf16(x));
  const auto i8 = random_values<int8_t>(1, 4);
  const auto u8 = random_values<uint8_t>(6, 5);
  auto i32 = random_values<int32_t>(5, 6);
  i32[0] = INT32_MIN;
  auto i64 = random_values<int64_t>(3, 7);
  i64[2] = INT64_MAX;
  std::vector<uint8_t> boolean;
  for (uint8_t x : random_values<uint8_t>(10, 8)) boolean.push_back(x & 1);

  const std::vector<std::pair<std::string, TensorView>> tensors = {
      {"model.embed.weight", {f32.data(), DType::F32, {3, 5, 7}}},
      {"f16", {f16.data(), DType::F16, {64}}},
      {"bf16.empty", {bf16.data(), DType::BF16, {4, 0, 3}}},
      {"bf16", {bf16.data(), DType::BF16, {3, 4}}},
      {"scalar_i8", {i8.data(), DType::I8, {}}},
      {"u8", {u8.data(), DType::U8, {2, 3}}},
      {"i32", {i32.data(), DType::I32, {5, 1}}},
      {"i64", {i64.data(), DType::I64, {3}}},
      {"mask", {boolean.data(), DType::BOOL, {10}}},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"},
                                                       {"note", "ünïcode \"quoted\""}};
  write_safetensors(path, tensors, metadata);

  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->path(), path);
  EXPECT_EQ(file->metadata(), metadata);
  ASSERT_EQ(file->tensors().size(), tensors.size());
  for (size_t i = 1; i < file->tensors().size(); ++i)
    EXPECT_LE(file->tensors()[i - 1].begin, file->tensors()[i].begin);
  for (const auto& [name, want] : tensors) {
    SCOPED_TRACE(name);
    const sunbae::io::TensorInfo* info = file->find(name);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->name, name);
    expect_same(file->view(*info), want);
  }
  EXPECT_EQ(file->find("absent"), nullptr);

  // Zero copy: views point into one mapping, at their data offsets.
  const auto* a = file->find("model.embed.weight");
  const auto* b = file->find("mask");
  EXPECT_EQ(
      static_cast<const char*>(file->view(*b).data) - static_cast<const char*>(file->view(*a).data),
      std::ptrdiff_t(b->begin - a->begin));
  EXPECT_EQ(file->view(*a).data, file->view(*a).data);

  Checkpoint ck = Checkpoint::open_file(path);
  EXPECT_EQ(ck.source(), path);
  std::vector<std::string> names;
  for (const auto& [name, t] : tensors) names.push_back(name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(ck.names(), names);
  EXPECT_TRUE(ck.has("i64"));
  EXPECT_FALSE(ck.has("i65"));
  expect_same(ck.get("i64"), tensors[7].second);
  EXPECT_EQ(ck.info("u8").dtype, DType::U8);
  const std::string err = error_of([&] { ck.get("i65"); });
  expect_contains(err, path + ": tensor 'i65' not found");
  expect_contains(error_of([&] { ck.info("i65"); }), "'i65'");
}

TEST(SafetensorsRoundTrip, NoMetadataWritesNoMetadataKey) {
  TempDir dir;
  const std::string path = dir.file("a.safetensors");
  const std::vector<float> x = {1.0f, -2.5f};
  write_safetensors(path, {{"x", {x.data(), DType::F32, {2}}}});
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("__metadata__"), std::string::npos);
  auto file = SafetensorsFile::open(path);
  EXPECT_TRUE(file->metadata().empty());
  expect_same(file->view(*file->find("x")), {x.data(), DType::F32, {2}});
}

TEST(SafetensorsRoundTrip, EmptyFileOfTensors) {
  TempDir dir;
  const std::string path = dir.file("empty.safetensors");
  write_safetensors(path, {}, {{"k", "v"}});
  auto file = SafetensorsFile::open(path);
  EXPECT_TRUE(file->tensors().empty());
  EXPECT_EQ(file->metadata().at("k"), "v");
}

TEST(SafetensorsWrite, HeaderIsEightByteAligned) {
  TempDir dir;
  const std::vector<uint8_t> data(16, 7);
  // Names of every length mod 8 exercise every amount of padding.
  for (size_t len = 1; len <= 9; ++len) {
    const std::string path = dir.file("aligned" + std::to_string(len) + ".safetensors");
    write_safetensors(path, {{std::string(len, 'n'), {data.data(), DType::U8, {3}}}});
    const uint64_t n = header_length(path);
    EXPECT_EQ(n % 8, 0u) << "name length " << len;
    EXPECT_EQ(fs::file_size(path), 8 + n + 3);
    auto file = SafetensorsFile::open(path);
    EXPECT_EQ(file->tensors().at(0).name, std::string(len, 'n'));
  }
}

TEST(SafetensorsWrite, MissingDirectoryThrowsAndLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/model.safetensors");
  const std::vector<float> x = {1.0f};
  const std::string err = error_of([&] {
    write_safetensors(path, {{"x", {x.data(), DType::F32, {1}}}});
  });
  expect_contains(err, path);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(SafetensorsWrite, SuccessLeavesNoTmpAndReplacesExisting) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  const std::vector<float> x = {1.0f, 2.0f}, y = {3.0f};
  write_safetensors(path, {{"x", {x.data(), DType::F32, {2}}}});
  write_safetensors(path, {{"y", {y.data(), DType::F32, {1}}}});
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  auto file = SafetensorsFile::open(path);
  EXPECT_EQ(file->find("x"), nullptr);
  expect_same(file->view(*file->find("y")), {y.data(), DType::F32, {1}});
}

TEST(SafetensorsWrite, RejectsBadInputsWithoutWriting) {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  const std::vector<float> x = {1.0f};
  const TensorView v{x.data(), DType::F32, {1}};
  expect_contains(error_of([&] { write_safetensors(path, {{"x", v}, {"x", v}}); }), "'x'");
  expect_contains(error_of([&] {
                    write_safetensors(path, {{"__metadata__", v}});
                  }),
                  "__metadata__");
  expect_contains(error_of([&] {
                    write_safetensors(path, {{"neg", {x.data(), DType::F32, {-1}}}});
                  }),
                  "'neg'");
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(SafetensorsCheckpoint, SingleFileDirectory) {
  TempDir dir;
  const std::vector<int32_t> x = {1, 2, 3};
  write_safetensors(dir.file("model.safetensors"), {{"x", {x.data(), DType::I32, {3}}}});
  Checkpoint ck = Checkpoint::open_dir(dir.str());
  EXPECT_EQ(ck.source(), dir.str());
  EXPECT_EQ(ck.names(), std::vector<std::string>{"x"});
  expect_same(ck.get("x"), {x.data(), DType::I32, {3}});
  expect_contains(error_of([&] { ck.get("nope"); }), dir.str() + ": tensor 'nope' not found");
}

TEST(SafetensorsCheckpoint, EmptyDirectoryIsAnError) {
  TempDir dir;
  expect_contains(error_of([&] { Checkpoint::open_dir(dir.str()); }),
                  dir.str() + ": no model.safetensors or model.safetensors.index.json");
  expect_contains(error_of([&] { Checkpoint::open_dir(dir.file("missing")); }),
                  dir.file("missing"));
}

class SafetensorsSharded : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = random_floats(6, 11);
    b_ = random_values<int64_t>(4, 12);
    c_ = random_floats(8, 13);
    write_safetensors(dir_.file("shard-1.safetensors"), {{"a", {a_.data(), DType::F32, {2, 3}}},
                                                         {"b", {b_.data(), DType::I64, {4}}}});
    write_safetensors(dir_.file("shard-2.safetensors"), {{"c", {c_.data(), DType::F32, {8}}}});
  }
  void write_index(const std::string& weight_map) {
    write_bytes(dir_.file("model.safetensors.index.json"),
                R"({"metadata": {"total_size": 88}, "weight_map": )" + weight_map + "}");
  }
  std::string open_dir_error() {
    return error_of([&] { Checkpoint::open_dir(dir_.str()); });
  }

  TempDir dir_;
  std::vector<float> a_, c_;
  std::vector<int64_t> b_;
};

TEST_F(SafetensorsSharded, GetsTensorsFromEveryShard) {
  write_index(R"({"a": "shard-1.safetensors", "b": "shard-1.safetensors",
                  "c": "shard-2.safetensors"})");
  Checkpoint ck = Checkpoint::open_dir(dir_.str());
  EXPECT_EQ(ck.names(), (std::vector<std::string>{"a", "b", "c"}));
  expect_same(ck.get("a"), {a_.data(), DType::F32, {2, 3}});
  expect_same(ck.get("b"), {b_.data(), DType::I64, {4}});
  expect_same(ck.get("c"), {c_.data(), DType::F32, {8}});
  EXPECT_EQ(ck.info("c").shape, std::vector<int64_t>{8});
  expect_contains(error_of([&] { ck.get("d"); }), dir_.str() + ": tensor 'd' not found");
}

TEST_F(SafetensorsSharded, MissingShardIsAnError) {
  write_index(R"({"a": "shard-1.safetensors", "c": "shard-3.safetensors"})");
  const std::string err = open_dir_error();
  expect_contains(err, "model.safetensors.index.json");
  expect_contains(err, "shard-3.safetensors");
}

TEST_F(SafetensorsSharded, TensorMissingFromNamedShardIsAnError) {
  write_index(R"({"a": "shard-1.safetensors", "c": "shard-1.safetensors"})");
  const std::string err = open_dir_error();
  expect_contains(err, "model.safetensors.index.json");
  expect_contains(err, "'c'");
  expect_contains(err, "shard-1.safetensors");
}

TEST_F(SafetensorsSharded, TensorInTwoShardsIsAnError) {
  write_safetensors(dir_.file("shard-3.safetensors"), {{"a", {a_.data(), DType::F32, {6}}}});
  write_index(R"({"a": "shard-1.safetensors", "c": "shard-3.safetensors"})");
  const std::string err = open_dir_error();
  expect_contains(err, "'a'");
  expect_contains(err, "shard-1.safetensors");
  expect_contains(err, "shard-3.safetensors");
}

TEST_F(SafetensorsSharded, ShardNameMustBePlain) {
  write_index(R"({"a": "../shard-1.safetensors"})");
  expect_contains(open_dir_error(), "../shard-1.safetensors");
  write_index(R"({"a": ".."})");
  expect_contains(open_dir_error(), "'..'");
}

TEST_F(SafetensorsSharded, MalformedIndexIsAnError) {
  write_index("[1, 2]");
  expect_contains(open_dir_error(), "weight_map");
  write_bytes(dir_.file("model.safetensors.index.json"), "{not json");
  expect_contains(open_dir_error(), "model.safetensors.index.json");
}

class SafetensorsMalformed : public ::testing::Test {
 protected:
  // Writes the file and returns the error opening it, checked to name the file.
  std::string error_for_raw(const std::string& header, size_t data_size) {
    write_raw(path_, header, data_size);
    return checked_error();
  }
  std::string error_for_bytes(const std::string& bytes) {
    write_bytes(path_, bytes);
    return checked_error();
  }
  std::string checked_error() {
    const std::string err = open_error(path_);
    EXPECT_EQ(err.rfind(path_ + ": ", 0), 0u) << err;
    return err;
  }

  TempDir dir_;
  std::string path_ = dir_.file("model.safetensors");
};

TEST_F(SafetensorsMalformed, EmptyFile) { error_for_bytes(""); }

TEST_F(SafetensorsMalformed, FiveByteFile) { error_for_bytes("abcde"); }

TEST_F(SafetensorsMalformed, HeaderLengthZero) { error_for_bytes(u64_le(0) + "{}"); }

TEST_F(SafetensorsMalformed, HeaderLengthLargerThanFile) {
  error_for_bytes(u64_le(1000) + R"({"a": 1})");
}

TEST_F(SafetensorsMalformed, HeaderLengthTwoToThe63) {
  error_for_bytes(u64_le(uint64_t(1) << 63) + "{}");
}

TEST_F(SafetensorsMalformed, HeaderLengthMaxU64) { error_for_bytes(u64_le(UINT64_MAX) + "{}"); }

TEST_F(SafetensorsMalformed, HeaderLongerThanLimit) {
  // A sparse file: large enough to hold the claimed header, cheap to create.
  write_bytes(path_, u64_le(200'000'000));
  fs::resize_file(path_, 200'000'008);
  expect_contains(checked_error(), "limit");
}

TEST_F(SafetensorsMalformed, InvalidJson) { error_for_raw(R"({"a": {"dtype": )", 0); }

TEST_F(SafetensorsMalformed, JsonArrayInsteadOfObject) {
  expect_contains(error_for_raw("[1, 2, 3]", 0), "object");
}

TEST_F(SafetensorsMalformed, EntryNotAnObject) {
  expect_contains(error_for_raw(R"({"w": [1]})", 0), "'w'");
}

TEST_F(SafetensorsMalformed, UnknownDtype) {
  const std::string err =
      error_for_raw(R"({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}})", 16);
  expect_contains(err, "'w'");
  expect_contains(err, "F64");
}

TEST_F(SafetensorsMalformed, Float8Dtype) {
  const std::string err =
      error_for_raw(R"({"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}})", 2);
  expect_contains(err, "'w'");
  expect_contains(err, "F8_E4M3");
}

TEST_F(SafetensorsMalformed, DtypeNotAString) {
  expect_contains(error_for_raw(R"({"w": {"dtype": 7, "shape": [], "data_offsets": [0, 4]}})", 4),
                  "'w'");
}

TEST_F(SafetensorsMalformed, MissingDtype) {
  const std::string err = error_for_raw(R"({"w": {"shape": [2], "data_offsets": [0, 8]}})", 8);
  expect_contains(err, "'w'");
  expect_contains(err, "dtype");
}

TEST_F(SafetensorsMalformed, MissingShape) {
  expect_contains(error_for_raw(R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", 8), "shape");
}

TEST_F(SafetensorsMalformed, MissingDataOffsets) {
  expect_contains(error_for_raw(R"({"w": {"dtype": "F32", "shape": [2]}})", 8), "data_offsets");
}

TEST_F(SafetensorsMalformed, UnknownKeyInEntry) {
  const std::string err = error_for_raw(
      R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "extra": 1}})", 8);
  expect_contains(err, "'w'");
  expect_contains(err, "extra");
}

TEST_F(SafetensorsMalformed, NegativeShapeEntry) {
  expect_contains(
      error_for_raw(R"({"w": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 0]}})", 0),
      "'w'");
}

TEST_F(SafetensorsMalformed, NonIntegerShapeEntry) {
  expect_contains(
      error_for_raw(R"({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})", 8),
      "'w'");
}

TEST_F(SafetensorsMalformed, ShapeNotAnArray) {
  expect_contains(
      error_for_raw(R"({"w": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}})", 8), "'w'");
}

TEST_F(SafetensorsMalformed, ShapeProductOverflowsInt64) {
  const std::string err = error_for_raw(
      R"({"w": {"dtype": "U8", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})", 0);
  expect_contains(err, "'w'");
  expect_contains(err, "int64");
}

TEST_F(SafetensorsMalformed, ShapeEntryBeyondInt64) {
  expect_contains(
      error_for_raw(
          R"({"w": {"dtype": "U8", "shape": [9223372036854775808], "data_offsets": [0, 0]}})", 0),
      "'w'");
}

TEST_F(SafetensorsMalformed, ByteCountOverflowsU64) {
  // numel fits in int64, numel * 8 bytes does not fit in uint64.
  expect_contains(
      error_for_raw(
          R"({"w": {"dtype": "I64", "shape": [4611686018427387904], "data_offsets": [0, 0]}})", 0),
      "'w'");
}

TEST_F(SafetensorsMalformed, DataOffsetsEndBeyondFile) {
  const std::string err =
      error_for_raw(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})", 16);
  expect_contains(err, "'w'");
  expect_contains(err, "[8, 24]");
}

TEST_F(SafetensorsMalformed, DataOffsetsHugeEnd) {
  expect_contains(
      error_for_raw(
          R"({"w": {"dtype": "U8", "shape": [2], "data_offsets": [18446744073709551614, 18446744073709551615]}})",
          8),
      "'w'");
}

TEST_F(SafetensorsMalformed, DataOffsetsBeginAfterEnd) {
  const std::string err =
      error_for_raw(R"({"w": {"dtype": "U8", "shape": [0], "data_offsets": [8, 4]}})", 8);
  expect_contains(err, "'w'");
  expect_contains(err, "begin > end");
}

TEST_F(SafetensorsMalformed, DataOffsetsWrongArity) {
  expect_contains(
      error_for_raw(R"({"w": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4, 8]}})", 8),
      "'w'");
  expect_contains(
      error_for_raw(R"({"w": {"dtype": "U8", "shape": [4], "data_offsets": [-4, 0]}})", 8), "'w'");
}

TEST_F(SafetensorsMalformed, ByteLengthMismatch) {
  const std::string err = error_for_raw(
      R"({"lm_head.weight": {"dtype": "BF16", "shape": [4, 4], "data_offsets": [0, 10]}})", 32);
  EXPECT_EQ(err, path_ +
                     ": tensor 'lm_head.weight': data_offsets [0, 10] hold 10 bytes but BF16 "
                     "[4, 4] needs 32");
}

TEST_F(SafetensorsMalformed, OverlappingTensors) {
  const std::string err = error_for_raw(
      R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
          "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
      24);
  expect_contains(err, "'a'");
  expect_contains(err, "'b'");
  expect_contains(err, "overlap");
}

TEST_F(SafetensorsMalformed, AdjacentAndEmptyTensorsDoNotOverlap) {
  write_raw(path_,
            R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                "e": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}})",
            24);
  EXPECT_EQ(SafetensorsFile::open(path_)->tensors().size(), 3u);
}

TEST_F(SafetensorsMalformed, NonStringMetadataValue) {
  const std::string err = error_for_raw(R"({"__metadata__": {"format": "pt", "epoch": 3}})", 0);
  expect_contains(err, "__metadata__");
  expect_contains(err, "epoch");
}

TEST_F(SafetensorsMalformed, MetadataNotAnObject) {
  expect_contains(error_for_raw(R"({"__metadata__": ["pt"]})", 0), "__metadata__");
}

TEST_F(SafetensorsMalformed, DirectoryInsteadOfFile) {
  const std::string err = open_error(dir_.str());
  expect_contains(err, dir_.str());
}

TEST_F(SafetensorsMalformed, MissingFile) {
  const std::string err = open_error(path_);
  expect_contains(err, path_);
  expect_contains(err, "No such file");
}
