#pragma once
// Flat open-addressing hash maps for the tokenizer's hot lookups: token string -> id with the key
// bytes in one owned arena (no per-key allocation, string_view probes), and (id, id) -> merge.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace sunbae::tok {

inline uint64_t mix64(uint64_t a, uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return uint64_t(r) ^ uint64_t(r >> 64);
}

inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xA0761D6478BD642Full);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix64(h ^ w, 0xE7037ED1A0B428DBull);
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  return mix64(h ^ w ^ (uint64_t(n) << 59), 0x8EBC6AF09C88C6E3ull);
}

inline size_t pow2_at_least(size_t n) {
  size_t c = 16;
  while (c < n) c <<= 1;
  return c;
}

// string -> int32 id. Insert keeps the first id given for a key.
class StrIdMap {
 public:
  void reserve(size_t n) { rehash(pow2_at_least(n * 2)); }

  bool insert(std::string_view key, int32_t id) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(pow2_at_least((size_ + 1) * 2 + 16));
    const uint64_t h = hash_bytes(key.data(), key.size());
    size_t i = h & mask_;
    while (true) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        s.tag = uint32_t(h >> 32);
        s.off = uint32_t(arena_.size());
        s.len = uint32_t(key.size());
        s.id = id;
        arena_.append(key);
        ++size_;
        return true;
      }
      if (s.tag == uint32_t(h >> 32) && s.len == key.size() &&
          std::memcmp(arena_.data() + s.off, key.data(), key.size()) == 0)
        return false;
      i = (i + 1) & mask_;
    }
  }

  // -1 when absent.
  int32_t find(std::string_view key) const { return find(key, hash_bytes(key.data(), key.size())); }
  int32_t find(std::string_view key, uint64_t h) const {
    if (slots_.empty()) return -1;
    size_t i = h & mask_;
    while (true) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.tag == uint32_t(h >> 32) && s.len == key.size() &&
          std::memcmp(arena_.data() + s.off, key.data(), key.size()) == 0)
        return s.id;
      i = (i + 1) & mask_;
    }
  }

  size_t size() const { return size_; }

  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.id >= 0) f(std::string_view(arena_.data() + s.off, s.len), s.id);
  }

 private:
  struct Slot {
    uint32_t tag = 0, off = 0, len = 0;
    int32_t id = -1;
  };
  void rehash(size_t cap) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const Slot& s : old) {
      if (s.id < 0) continue;
      const uint64_t h = hash_bytes(arena_.data() + s.off, s.len);
      size_t i = h & mask_;
      while (slots_[i].id >= 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0, size_ = 0;
};

// (left id, right id) -> (rank, merged id). Insert overwrites, as a Rust HashMap collect does.
class PairMap {
 public:
  struct Value {
    int32_t rank = -1, id = -1;
  };
  void reserve(size_t n) { rehash(pow2_at_least(n * 2)); }

  void insert_or_assign(int32_t a, int32_t b, Value v) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(pow2_at_least((size_ + 1) * 2 + 16));
    const uint64_t key = pack(a, b);
    size_t i = slot_of(key);
    while (true) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) {
        s.key = key;
        s.v = v;
        ++size_;
        return;
      }
      if (s.key == key) {
        s.v = v;
        return;
      }
      i = (i + 1) & mask_;
    }
  }

  // nullptr when the pair never merges.
  const Value* find(int32_t a, int32_t b) const {
    const uint64_t key = pack(a, b);
    size_t i = slot_of(key);
    while (true) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.v;
      if (s.key == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }

  size_t size() const { return size_; }

  // Starts loading the slot of (a, b) so a later find() does not wait for memory.
  void prefetch(int32_t a, int32_t b) const { __builtin_prefetch(&slots_[slot_of(pack(a, b))]); }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t(0);
  struct Slot {
    uint64_t key = kEmpty;
    Value v;
  };
  static uint64_t pack(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
  size_t slot_of(uint64_t key) const { return mix64(key, 0x9E3779B97F4A7C15ull) & mask_; }
  void rehash(size_t cap) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      size_t i = slot_of(s.key);
      while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_ = std::vector<Slot>(16);
  size_t mask_ = 15, size_ = 0;
};

}  // namespace sunbae::tok
