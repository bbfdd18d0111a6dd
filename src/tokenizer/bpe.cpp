#include "tokenizer/bpe.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <functional>

#include "tokenizer/byte_level.h"
#include "tokenizer/json_util.h"
#include "tokenizer/unicode.h"

namespace sunbae::tok {

using jsonu::json;

namespace {

// Ids index dense tables; a bound far above any real vocabulary (262k) keeps a corrupt id from
// turning into a multi-gigabyte allocation.
constexpr int64_t kMaxId = int64_t(1) << 22;
// tokenizers caches only words shorter than this; longer ones are rare and costly to key.
constexpr size_t kMaxCachedWord = 256;
constexpr int32_t kNoMerge = INT32_MAX;

std::atomic<uint64_t> g_next_instance{1};

}  // namespace

// A per-thread word -> ids cache: open addressing over arenas, emptied wholesale when full so
// memory stays bounded whatever the input. Slots are 16 bytes so the hot part stays in cache.
struct Bpe::Cache {
  struct Slot {
    uint32_t tag = 0;  // high half of the hash; 0 marks an empty slot
    uint32_t key_off = 0, val_off = 0;
    uint16_t key_len = 0, val_len = 0;
  };
  static constexpr size_t kSlots = size_t(1) << 16;
  static constexpr size_t kMaxEntries = kSlots / 2;
  static constexpr size_t kMaxKeyBytes = size_t(8) << 20;
  std::vector<Slot> slots = std::vector<Slot>(kSlots);
  std::string keys;
  std::vector<int32_t> vals;
  size_t count = 0;

  static uint32_t tag_of(uint64_t h) { return uint32_t(h >> 32) | 1; }
  const Slot* find(std::string_view key, uint64_t h) const {
    const uint32_t tag = tag_of(h);
    size_t i = h & (kSlots - 1);
    while (slots[i].tag) {
      const Slot& s = slots[i];
      if (s.tag == tag && s.key_len == key.size() && std::memcmp(keys.data() + s.key_off, key.data(), key.size()) == 0)
        return &s;
      i = (i + 1) & (kSlots - 1);
    }
    return nullptr;
  }
  void insert(std::string_view key, uint64_t h, const int32_t* ids, size_t n) {
    if (key.size() > UINT16_MAX || n > UINT16_MAX) return;
    if (count >= kMaxEntries || keys.size() + key.size() > kMaxKeyBytes) {
      std::fill(slots.begin(), slots.end(), Slot{});
      keys.clear();
      vals.clear();
      count = 0;
    }
    size_t i = h & (kSlots - 1);
    while (slots[i].tag) i = (i + 1) & (kSlots - 1);
    Slot& s = slots[i];
    s.tag = tag_of(h);
    s.key_off = uint32_t(keys.size());
    s.key_len = uint16_t(key.size());
    s.val_off = uint32_t(vals.size());
    s.val_len = uint16_t(n);
    keys.append(key);
    vals.insert(vals.end(), ids, ids + n);
    ++count;
  }
};

Bpe::Cache& Bpe::thread_cache() const {
  struct Entry {
    uint64_t owner;
    std::unique_ptr<Cache> cache;
  };
  thread_local std::vector<Entry> caches;
  thread_local Entry* last = nullptr;
  if (last && last->owner == instance_id_) return *last->cache;
  for (auto& e : caches) {
    if (e.owner == instance_id_) {
      last = &e;
      return *e.cache;
    }
  }
  // Caches of tokenizers this thread no longer uses are dropped oldest first.
  if (caches.size() >= 4) caches.erase(caches.begin());
  caches.push_back(Entry{instance_id_, std::make_unique<Cache>()});
  last = &caches.back();
  return *last->cache;
}

Bpe::Bpe(const json& m, std::string_view what_in) : instance_id_(g_next_instance++) {
  const std::string what(what_in);
  jsonu::check_keys(m,
                    {"type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk",
                     "byte_fallback", "ignore_merges", "vocab", "merges"},
                    what);
  if (auto it = m.find("dropout"); it != m.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() != 0.0) fail(what, ": dropout is not supported (must be null)");
  }
  unk_token_ = jsonu::get_opt_string(m, "unk_token", what);
  if (auto p = jsonu::get_opt_string(m, "continuing_subword_prefix", what)) {
    prefix_ = *p;
    has_prefix_ = !p->empty();
  }
  if (auto s = jsonu::get_opt_string(m, "end_of_word_suffix", what)) {
    suffix_ = *s;
    has_suffix_ = !s->empty();
  }
  fuse_unk_ = jsonu::get_bool(m, "fuse_unk", false, what);
  byte_fallback_ = jsonu::get_bool(m, "byte_fallback", false, what);
  ignore_merges_ = jsonu::get_bool(m, "ignore_merges", false, what);

  const json& vocab = jsonu::field(m, "vocab", what);
  if (!vocab.is_object()) fail(what, ": 'vocab' must be an object of token -> id");
  vocab_.reserve(vocab.size());
  int64_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it->is_number_integer()) fail(what, ": vocab id of '", it.key(), "' is not an integer");
    const int64_t id = it->get<int64_t>();
    if (id < 0 || id >= kMaxId) fail(what, ": vocab id ", id, " of '", it.key(), "' is out of range");
    max_id = std::max(max_id, id);
  }
  id_to_token_.resize(size_t(max_id + 1));
  has_id_.assign(size_t(max_id + 1), 0);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const auto id = int32_t(it->get<int64_t>());
    vocab_.insert(it.key(), id);
    if (!has_id_[size_t(id)]) {
      has_id_[size_t(id)] = 1;
      id_to_token_[size_t(id)] = it.key();
    }
  }
  if (unk_token_) unk_id_ = vocab_.find(*unk_token_);

  const json& merges = jsonu::field(m, "merges", what);
  if (!merges.is_array()) fail(what, ": 'merges' must be an array");
  merges_.reserve(merges.size());
  int32_t rank = 0;
  std::string_view a, b;
  std::string merged;
  constexpr std::string_view kMeta = "\xE2\x96\x81";  // ▁
  bool crosses_metaspace = false;
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& e = merges[i];
    if (e.is_string()) {
      const std::string& line = e.get_ref<const std::string&>();
      // tokenizers drops "#version" header lines before numbering ranks.
      if (line.rfind("#version", 0) == 0) continue;
      const size_t sp = line.find(' ');
      if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
        fail(what, ": merges[", i, "] \"", line, "\" is not two tokens separated by one space");
      a = std::string_view(line).substr(0, sp);
      b = std::string_view(line).substr(sp + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      a = e[0].get_ref<const std::string&>();
      b = e[1].get_ref<const std::string&>();
    } else {
      fail(what, ": merges[", i, "] must be \"a b\" or [\"a\", \"b\"]");
    }
    const int32_t ia = vocab_.find(a), ib = vocab_.find(b);
    if (ia < 0) fail(what, ": merges[", i, "] names token '", a, "' which is not in the vocabulary");
    if (ib < 0) fail(what, ": merges[", i, "] names token '", b, "' which is not in the vocabulary");
    if (b.size() < prefix_.size())
      fail(what, ": merges[", i, "] right token '", b, "' is shorter than continuing_subword_prefix");
    merged.assign(a);
    merged.append(b.substr(prefix_.size()));
    const int32_t im = vocab_.find(merged);
    if (im < 0) fail(what, ": merges[", i, "] result '", merged, "' is not in the vocabulary");
    merges_.insert_or_assign(ia, ib, PairMap::Value{rank, im});
    ++rank;
    if (b.substr(0, kMeta.size()) == kMeta && (a.size() < kMeta.size() || a.substr(a.size() - kMeta.size()) != kMeta))
      crosses_metaspace = true;
  }
  // ignore_merges applies to the whole word only, and the cache could not tell a part from a word.
  cut_at_metaspace_ = !crosses_metaspace && !has_prefix_ && !has_suffix_ && !ignore_merges_ && vocab_.find(kMeta) >= 0;

  if (byte_fallback_) {
    byte_fallback_ids_.assign(256, -1);
    char name[8];
    for (int v = 0; v < 256; ++v) {
      std::snprintf(name, sizeof name, "<0x%02X>", v);
      byte_fallback_ids_[size_t(v)] = vocab_.find(name);
    }
  }
  if (!has_prefix_ && !has_suffix_) {
    // Words are mostly made of characters that are tokens on their own: one table read each.
    bmp_ids_.assign(0x10000, -1);
    std::string s;
    for (uint32_t cp = 0; cp < 0x10000; ++cp) {
      if (cp >= 0xD800 && cp < 0xE000) continue;
      s.clear();
      unicode::append_utf8(s, cp);
      bmp_ids_[cp] = vocab_.find(s);
    }
  }
  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
}

Bpe::~Bpe() = default;

void Bpe::enable_byte_level() {
  byte_level_ = true;
  const auto& t = byte_level::table();
  for (int b = 0; b < 256; ++b) byte_ids_[b] = vocab_.find(t.byte_to_utf8[size_t(b)]);
  if (ignore_merges_) {
    raw_vocab_.reserve(vocab_.size());
    std::string raw;
    vocab_.for_each([&](std::string_view tok, int32_t id) {
      raw.clear();
      if (byte_level::unmap(tok, raw)) raw_vocab_.insert(raw, id);
    });
  }
}

void Bpe::word_symbols(std::string_view w, std::vector<int32_t>& syms) const {
  bool unk_pending = false;
  auto need_unk = [&]() {
    if (unk_id_ < 0) fail("BPE: unk_token '", *unk_token_, "' is not in the vocabulary");
    return unk_id_;
  };
  std::string s;
  for (size_t i = 0; i < w.size();) {
    const size_t start = i;
    const uint32_t cp = unicode::next_cp(w, i);
    int32_t id;
    std::string_view piece = w.substr(start, i - start);
    if (!has_prefix_ && !has_suffix_) {
      id = cp < 0x10000 ? bmp_ids_[cp] : vocab_.find(piece);
    } else {
      s.clear();
      if (start != 0 && has_prefix_) s += prefix_;
      s.append(piece);
      if (i == w.size() && has_suffix_) s += suffix_;
      piece = s;
      id = vocab_.find(piece);
    }
    if (id >= 0) {
      if (unk_pending) {
        syms.push_back(need_unk());
        unk_pending = false;
      }
      syms.push_back(id);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (char c : piece) all = all && byte_fallback_ids_[uint8_t(c)] >= 0;
      if (all) {
        // Like tokenizers, a pending unk is not flushed before byte tokens.
        for (char c : piece) syms.push_back(byte_fallback_ids_[uint8_t(c)]);
        continue;
      }
    }
    if (unk_token_) {
      if (unk_pending && !fuse_unk_) syms.push_back(need_unk());
      if (!unk_pending || !fuse_unk_) need_unk();
      unk_pending = true;
    }
    // Without an unk token the character is dropped, as tokenizers does.
  }
  if (unk_pending) syms.push_back(need_unk());
}

void Bpe::byte_symbols(std::string_view raw, std::vector<int32_t>& syms) const {
  for (char c : raw) {
    const int32_t id = byte_ids_[uint8_t(c)];
    if (id < 0) {
      // A byte whose character is missing from the vocabulary: take the general path on the
      // mapped text so unk / byte_fallback apply to it exactly as tokenizers would.
      syms.clear();
      std::string mapped;
      byte_level::map_bytes(raw, mapped);
      word_symbols(mapped, syms);
      return;
    }
    syms.push_back(id);
  }
}

void Bpe::merge(std::vector<int32_t>& syms) const {
  size_t n = syms.size();
  if (n < 2) return;
  if (n > 48) return merge_long(syms);
  // Short words: rescan for the lowest (rank, position) pair; same order as the heap version.
  int32_t rank[48], nid[48];
  auto pair_at = [&](size_t i) {
    const PairMap::Value* v = merges_.find(syms[i], syms[i + 1]);
    rank[i] = v ? v->rank : kNoMerge;
    nid[i] = v ? v->id : -1;
  };
  for (size_t i = 0; i + 1 < n; ++i) merges_.prefetch(syms[i], syms[i + 1]);
  for (size_t i = 0; i + 1 < n; ++i) pair_at(i);
  while (n > 1) {
    size_t best = 0;
    int32_t br = rank[0];
    for (size_t i = 1; i + 1 < n; ++i)
      if (rank[i] < br) br = rank[i], best = i;
    if (br == kNoMerge) break;
    syms[best] = nid[best];
    for (size_t i = best + 1; i + 1 < n; ++i) {
      syms[i] = syms[i + 1];
      rank[i] = rank[i + 1];
      nid[i] = nid[i + 1];
    }
    --n;
    if (best > 0) pair_at(best - 1);
    if (best + 1 < n) pair_at(best);
  }
  syms.resize(n);
}

void Bpe::merge_long(std::vector<int32_t>& syms) const {
  // tokenizers' Word::merge_all: a min-heap on (rank, position) over a linked list of symbols.
  // An entry is stale once either symbol of its pair has changed; tokenizers detects that by
  // the pair no longer producing the same merged id, which is the same thing (a symbol only
  // changes by growing, and a longer pair cannot spell the same token from the same start).
  struct Sym {
    int32_t id;
    int32_t prev, next;
  };
  struct Entry {
    int32_t rank, pos, left, right, new_id;
    bool operator>(const Entry& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<Sym> s;
  thread_local std::vector<Entry> heap;
  const auto n = int32_t(syms.size());
  s.resize(size_t(n));
  heap.clear();
  for (int32_t i = 0; i < n; ++i) s[size_t(i)] = Sym{syms[size_t(i)], i - 1, i + 1 < n ? i + 1 : -1};
  // The first lookups all miss the cache: issue them together.
  for (int32_t i = 0; i + 1 < n; ++i) merges_.prefetch(s[size_t(i)].id, s[size_t(i + 1)].id);
  for (int32_t i = 0; i + 1 < n; ++i) {
    const int32_t a = s[size_t(i)].id, b = s[size_t(i + 1)].id;
    if (const auto* v = merges_.find(a, b)) heap.push_back(Entry{v->rank, i, a, b, v->id});
  }
  const auto cmp = std::greater<Entry>();
  std::make_heap(heap.begin(), heap.end(), cmp);
  auto push = [&](int32_t pos, int32_t a, int32_t b) {
    if (const auto* v = merges_.find(a, b)) {
      heap.push_back(Entry{v->rank, pos, a, b, v->id});
      std::push_heap(heap.begin(), heap.end(), cmp);
    }
  };
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    const Entry top = heap.back();
    heap.pop_back();
    Sym& cur = s[size_t(top.pos)];
    if (cur.id != top.left || cur.next < 0) continue;  // removed (-1) or changed
    Sym& right = s[size_t(cur.next)];
    if (right.id != top.right) continue;
    cur.id = top.new_id;
    right.id = -1;
    cur.next = right.next;
    if (right.next >= 0) s[size_t(right.next)].prev = top.pos;
    if (cur.prev >= 0) push(cur.prev, s[size_t(cur.prev)].id, cur.id);
    if (cur.next >= 0) push(top.pos, cur.id, s[size_t(cur.next)].id);
  }
  size_t k = 0;
  for (int32_t i = 0; i < n; ++i)
    if (s[size_t(i)].id >= 0) syms[k++] = s[size_t(i)].id;
  syms.resize(k);
}

void Bpe::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (!cut_at_metaspace_ || byte_level_ || word.size() < kMaxCachedWord)
    return tokenize_part(word, hash_bytes(word.data(), word.size()), out);
  // A long SentencePiece-style word (a whole line without pre-tokenizer): merged part by part.
  constexpr std::string_view kMeta = "\xE2\x96\x81";
  size_t start = 0;
  for (size_t pos = word.find(kMeta, 1); pos != std::string_view::npos; pos = word.find(kMeta, pos + kMeta.size())) {
    if (pos >= kMeta.size() && word.compare(pos - kMeta.size(), kMeta.size(), kMeta) == 0) continue;  // in a ▁ run
    const std::string_view part = word.substr(start, pos - start);
    tokenize_part(part, hash_bytes(part.data(), part.size()), out);
    start = pos;
  }
  const std::string_view last = word.substr(start);
  tokenize_part(last, hash_bytes(last.data(), last.size()), out);
}

void Bpe::tokenize_part(std::string_view word, uint64_t h, std::vector<int32_t>& out) const {
  // The small per-thread cache first: it also remembers ignore_merges hits, sparing a probe of
  // the whole vocabulary for every frequent word.
  const bool cacheable = word.size() < kMaxCachedWord;
  Cache* cache = nullptr;
  if (cacheable) {
    cache = &thread_cache();
    if (const Cache::Slot* hit = cache->find(word, h)) {
      out.insert(out.end(), cache->vals.begin() + hit->val_off, cache->vals.begin() + hit->val_off + hit->val_len);
      return;
    }
  }
  thread_local std::vector<int32_t> syms;
  syms.clear();
  const int32_t whole = ignore_merges_ ? (byte_level_ ? raw_vocab_.find(word, h) : vocab_.find(word, h)) : -1;
  if (whole >= 0) {
    syms.push_back(whole);
  } else if (byte_level_ && !has_prefix_ && !has_suffix_) {
    byte_symbols(word, syms);
    merge(syms);
  } else if (byte_level_) {
    std::string mapped;
    byte_level::map_bytes(word, mapped);
    word_symbols(mapped, syms);
    merge(syms);
  } else {
    word_symbols(word, syms);
    merge(syms);
  }
  out.insert(out.end(), syms.begin(), syms.end());
  if (cacheable) cache->insert(word, h, syms.data(), syms.size());
}

}  // namespace sunbae::tok
