#!/usr/bin/env python3
"""Writes unicode_tables.cpp: the Unicode data Hugging Face `tokenizers` itself uses, read back
from it, where it differs from what PCRE2 and utf8proc know here.

tokenizers mixes Unicode versions: its Oniguruma regexes use Unicode 16, Rust's char methods a
newer one, its Punctuation pre-tokenizer an old `unicode_categories` table, the `regex` crate (for
\\w in added tokens and the Whitespace pre-tokenizer) yet another. PCRE2 10.42 has Unicode 14 and
utf8proc 2.8 Unicode 15. Rather than trusting any version number, this script asks tokenizers
about every code point:

  * regex general categories of code points that Unicode 14 (= PCRE2's tables = Python 3.11's
    unicodedata) leaves unassigned, and Oniguruma's \\w for them
  * the full sets behind Digits (char::is_numeric), Punctuation and the `regex` crate's \\w
  * Lowercase results that differ from utf8proc's simple mapping
  * code points its (much older) Unicode normalization data does not know but utf8proc does:
    for NFC/NFD/NFKC/NFKD they are unassigned starters, which cut the text into parts that
    normalize separately

Run with the Python that has tokenizers (0.23.3) and Unicode 14 data:
    python3 src/tokenizer/gen_unicode_tables.py > src/tokenizer/unicode_tables.cpp
"""
import ctypes
import ctypes.util
import sys
import unicodedata

import tokenizers
from tokenizers import Regex, normalizers, pre_tokenizers

assert unicodedata.unidata_version == "14.0.0", "needs Unicode 14 data (Python 3.11), as PCRE2 10.42"

CATS = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi",
        "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Co"]
ALL = [c for c in range(0x110000) if not (0xD800 <= c < 0xE000)]


def chunks(cps, n=40000):
    for i in range(0, len(cps), n):
        yield cps[i:i + n]


def regex_set(pattern, cps):
    """Code points Oniguruma (inside tokenizers) matches with a one-character pattern."""
    out = set()
    split = pre_tokenizers.Split(Regex(pattern), "removed", invert=True)
    for part in chunks(cps):
        for piece, _ in split.pre_tokenize_str("".join(map(chr, part))):
            out.update(map(ord, piece))
    return out


def isolated_set(pre, cps, sep):
    """Code points a char-predicate pre-tokenizer isolates: with `sep` (not in the set) between
    characters, a member comes out as a piece of its own."""
    out = set()
    for part in chunks(cps, 20000):
        text = sep.join(map(chr, part))
        for piece, _ in pre.pre_tokenize_str(text):
            if len(piece) == 1 and piece != sep:
                out.add(ord(piece))
    return out


def ranges(cps):
    out = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def emit_ranges(name, cps, comment):
    rs = ranges(cps)
    print(f"// {comment}")
    print(f"const CpRange {name}[] = {{")
    line = " "
    for lo, hi in rs:
        item = f" {{0x{lo:X}, 0x{hi:X}}},"
        if len(line) + len(item) > 100:
            print(line)
            line = " "
        line += item
    print(line)
    print("};")
    print(f"const size_t {name}_size = {len(rs)};\n")


def normalization_unknowns():
    """Code points where utf8proc's NFx of a few contexts differs from tokenizers'."""
    lib = ctypes.CDLL(ctypes.util.find_library("utf8proc"))
    lib.utf8proc_category.restype = ctypes.c_int
    lib.utf8proc_map.restype = ctypes.c_ssize_t
    lib.utf8proc_map.argtypes = [ctypes.c_char_p, ctypes.c_ssize_t, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    libc = ctypes.CDLL(None)
    stable, compose, decompose, compat = 1 << 1, 1 << 3, 1 << 4, 1 << 2

    def mine(s, opts):
        b = s.encode()
        out = ctypes.c_void_p()
        n = lib.utf8proc_map(b, len(b), ctypes.byref(out), opts)
        r = ctypes.string_at(out, n).decode()
        libc.free(out)
        return r

    forms = [(normalizers.NFC(), stable | compose), (normalizers.NFD(), stable | decompose),
             (normalizers.NFKC(), stable | compose | compat), (normalizers.NFKD(), stable | decompose | compat)]
    cps = [c for c in ALL if c >= 0x80 and lib.utf8proc_category(c) != 0]
    contexts = ["{}", "a{}\u0301", "a\u0301{}", "a\u0316{}", "a{}\u0316", "\u0915{}\u093c", "\u1100{}", "{}\u1161"]
    unknown = set()
    for hf, opts in forms:
        for t in contexts:
            strs = [t.format(chr(c)) for c in cps]
            for i in range(0, len(strs), 20000):
                part = strs[i:i + 20000]
                got = hf.normalize_str("\x00".join(part)).split("\x00")
                assert len(got) == len(part)
                for s, g, c in zip(part, got, cps[i:i + 20000]):
                    if g != mine(s, opts):
                        unknown.add(c)
    return unknown


def main():
    unassigned14 = [c for c in ALL if unicodedata.category(chr(c)) == "Cn"]

    # Oniguruma's categories for code points PCRE2 does not know.
    regex_cat = {}
    for cat in CATS:
        for c in regex_set(r"\p{%s}" % cat, unassigned14):
            regex_cat[c] = cat
    regex_word = regex_set(r"\w", unassigned14)

    # Rust-side predicates, complete sets (above ASCII).
    above = [c for c in ALL if c >= 0x80]
    numeric = isolated_set(pre_tokenizers.Digits(individual_digits=True), above, "x")
    punct = isolated_set(pre_tokenizers.Punctuation(), above, "x")
    # The regex crate's \w: Whitespace splits \w+ from [^\w\s]+; between '!'s a word character
    # stands alone, anything else joins the '!'s.
    rust_word = isolated_set(pre_tokenizers.Whitespace(), above, "!")

    # Lowercase where it differs from utf8proc's simple mapping.
    lib = ctypes.CDLL(ctypes.util.find_library("utf8proc"))
    lib.utf8proc_tolower.restype = ctypes.c_int32
    lower = normalizers.Lowercase()
    lower_diff = {}
    for part in chunks(above, 20000):
        got = lower.normalize_str("\x00".join(map(chr, part))).split("\x00")
        assert len(got) == len(part)
        for c, low in zip(part, got):
            mine = chr(lib.utf8proc_tolower(c)) if c != 0x130 else "i\u0307"
            if low != mine:
                lower_diff[c] = low

    norm_unknown = normalization_unknowns()

    print("// Generated by gen_unicode_tables.py from tokenizers", tokenizers.__version__, "-- do not edit.")
    print('#include "tokenizer/unicode_tables.h"\n')
    print("namespace sunbae::tok::unicode_tables {\n")
    for cat in CATS:
        cps = [c for c, v in regex_cat.items() if v == cat]
        if cps:
            emit_ranges(f"kRegex{cat}", cps, f"Oniguruma \\p{{{cat}}} beyond Unicode 14")
    print("const CategoryRanges kRegexCategories[] = {")
    for cat in CATS:
        if any(v == cat for v in regex_cat.values()):
            print(f'    {{"{cat}", kRegex{cat}, kRegex{cat}_size}},')
    print("};")
    print(f"const size_t kRegexCategories_size = {sum(1 for cat in CATS if cat in regex_cat.values())};\n")
    emit_ranges("kRegexWord", regex_word, "Oniguruma \\w beyond Unicode 14")
    emit_ranges("kNumeric", numeric, "char::is_numeric above ASCII (the Digits pre-tokenizer)")
    emit_ranges("kPunctuation", punct, "tokenizers' is_punc above ASCII (the Punctuation pre-tokenizer)")
    emit_ranges("kRustWord", rust_word, "the regex crate's \\w above ASCII (Whitespace, single_word)")
    emit_ranges("kNormalizationUnknown", norm_unknown,
                "unassigned for tokenizers' normalization data, assigned for utf8proc")
    print("// Lowercase results that differ from utf8proc_tolower.")
    print("const LowerOverride kLower[] = {")
    for c, low in sorted(lower_diff.items()):
        enc = "".join(f"\\x{b:02X}" for b in low.encode("utf-8"))
        print(f'    {{0x{c:X}, "{enc}"}},')
    print("};")
    print(f"const size_t kLower_size = {len(lower_diff)};\n")
    print("}  // namespace sunbae::tok::unicode_tables")
    print(f"regex categories {len(regex_cat)}, regex word {len(regex_word)}, numeric {len(numeric)}, "
          f"punct {len(punct)}, rust word {len(rust_word)}, lower overrides {len(lower_diff)}, "
          f"normalization unknowns {len(norm_unknown)}", file=sys.stderr)


if __name__ == "__main__":
    main()
