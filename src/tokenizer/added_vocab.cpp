#include "tokenizer/added_vocab.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/unicode.h"

namespace sunbae::tok {

AddedVocab::AddedVocab(const std::vector<AddedToken>& tokens,
                       const std::function<int32_t(std::string_view)>& model_id, size_t model_vocab_len,
                       const Normalizer* normalizer) {
  // Mirrors AddedVocabulary::add_tokens called once per token, in file order.
  std::vector<AddedToken> special_list, added_list;
  int64_t max_added = -1;
  for (const AddedToken& t : tokens) {
    if (t.special && !t.content.empty() && special_set_.find(t.content) < 0) {
      special_list.push_back(t);
      special_set_.insert(t.content, 0);
    }
    if (t.content.empty()) continue;
    bool known = false;
    for (const auto& [id, existing] : by_id_) known = known || existing == t;
    if (known) continue;
    int32_t id = map_.find(t.content);
    if (id < 0) id = model_id(t.content);
    if (id < 0) {
      const auto vocab = int64_t(model_vocab_len);
      id = int32_t(max_added < 0 ? vocab : (max_added >= vocab || vocab == 0 ? max_added + 1 : vocab));
    }
    map_.insert(t.content, id);
    max_added = std::max<int64_t>(max_added, id);
    by_id_[id] = t;
    if (special_set_.find(t.content) < 0) added_list.push_back(t);
  }

  std::vector<std::pair<std::string, int32_t>> raw, norm;
  auto add_pattern = [&](const AddedToken& t) {
    const int32_t id = map_.find(t.content);
    if (!t.normalized) {
      raw.emplace_back(t.content, id);
      return;
    }
    std::string n = t.content;
    if (normalizer) normalizer->normalize(n);
    norm.emplace_back(std::move(n), id);
  };
  for (const auto& t : special_list) add_pattern(t);
  for (const auto& t : added_list) add_pattern(t);
  build_trie(raw_, raw);
  build_trie(norm_, norm);
}

int32_t AddedVocab::token_to_id(std::string_view content) const { return map_.find(content); }

const AddedToken* AddedVocab::token_of_id(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

void AddedVocab::Trie::add(std::string_view s, int32_t pattern) {
  int32_t node = 0;
  for (char c : s) {
    const uint64_t key = (uint64_t(node) << 8) | uint8_t(c);
    auto it = edges.find(key);
    if (it == edges.end()) {
      const auto child = int32_t(terminal.size());
      terminal.push_back(-1);
      it = edges.emplace(key, child).first;
    }
    node = it->second;
  }
  // The first pattern spelled this way wins, as in aho-corasick.
  if (terminal[size_t(node)] < 0) terminal[size_t(node)] = pattern;
}

void AddedVocab::build_trie(Trie& t, const std::vector<std::pair<std::string, int32_t>>& patterns) {
  for (const auto& [s, id] : patterns) {
    if (s.empty()) continue;  // matches nothing useful; aho-corasick would report empty matches
    const auto index = int32_t(t.pattern_ids.size());
    t.pattern_ids.push_back(id);
    t.first_byte[uint8_t(s[0])] = true;
    t.add(s, index);
  }
}

namespace {

bool starts_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  return unicode::is_regex_word_char(unicode::next_cp(s, i));
}

bool ends_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t i = unicode::prev_cp_start(s, s.size());
  return unicode::is_regex_word_char(unicode::next_cp(s, i));
}

}  // namespace

void AddedVocab::split(std::string_view text, bool normalized_set, std::vector<Segment>& out) const {
  const Trie& t = normalized_set ? norm_ : raw_;
  size_t start_offset = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (!t.first_byte[p[i]]) {
      ++i;
      continue;
    }
    // Longest pattern starting at i.
    int32_t node = 0, best = -1;
    size_t best_end = 0;
    for (size_t k = i; k < n; ++k) {
      auto it = t.edges.find((uint64_t(node) << 8) | p[k]);
      if (it == t.edges.end()) break;
      node = it->second;
      if (t.terminal[size_t(node)] >= 0) {
        best = t.terminal[size_t(node)];
        best_end = k + 1;
      }
    }
    if (best < 0) {
      ++i;
      continue;
    }
    // The scan resumes after the raw match whatever happens to it below.
    size_t start = i, stop = best_end;
    i = best_end;
    const int32_t id = t.pattern_ids[size_t(best)];
    const AddedToken& tok = by_id_.at(id);
    if (tok.single_word) {
      const bool start_space = start == 0 || !ends_with_word(text.substr(0, start));
      const bool stop_space = stop == n || !starts_with_word(text.substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (tok.lstrip) {
      size_t s = start;
      while (s > 0) {
        const size_t b = unicode::prev_cp_start(text, s);
        size_t k = b;
        if (!unicode::is_whitespace(unicode::next_cp(text, k))) break;
        s = b;
      }
      start = std::max(s, start_offset);
    }
    if (tok.rstrip) {
      while (stop < n) {
        size_t k = stop;
        if (!unicode::is_whitespace(unicode::next_cp(text, k))) break;
        stop = k;
      }
    }
    if (start_offset < start) out.push_back(Segment{start_offset, start, -1});
    out.push_back(Segment{start, stop, id});
    start_offset = stop;
  }
  if (start_offset != n) out.push_back(Segment{start_offset, n, -1});
}

}  // namespace sunbae::tok
