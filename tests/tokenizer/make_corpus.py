#!/usr/bin/env python3
"""Writes tests/tokenizer/data/corpus.jsonl: the strings the tokenizer parity test encodes.

One JSON object per line, {"text": ...} (plus "cat", the category it came from, for reports),
UTF-8, in a fixed order. Deterministic: a fixed seed, no hash-ordered iteration, so running it
again gives the same bytes (the --check flag verifies that against the committed file).

Categories: Korean and English CS-interview answers, mixed Korean/English with code identifiers,
code (Python, C++, SQL, JSON, shell; tabs and spaces), numbers, emoji, Unicode normalization
(NFD jamo, compatibility characters), special-token look-alikes, whitespace (CRLF, lone CR,
NBSP, zero-width, U+3000, ...), long runs of one character, other scripts, control characters,
single ASCII characters, and random mixtures of all of these.

Lines are split on b"\\n" only: the texts contain U+2028, U+0085 and friends, which
str.splitlines() would treat as line breaks.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sentences as S  # noqa: E402

SEED = 20261125
OUT = Path(__file__).resolve().parent / "data" / "corpus.jsonl"
MAX_BYTES = 1_500_000

# ---------------------------------------------------------------------------------------------
# Code snippets, written with 4-space indentation; variants swap in tabs, CRLF, 2 spaces.

PYTHON = [
    '''def two_sum(nums: list[int], target: int) -> list[int]:
    """Return indices of the two numbers that add up to target."""
    seen: dict[int, int] = {}
    for i, x in enumerate(nums):
        if target - x in seen:
            return [seen[target - x], i]
        seen[x] = i
    return []
''',
    '''class LRUCache:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.cache = OrderedDict()

    def get(self, key):
        if key not in self.cache:
            return -1
        self.cache.move_to_end(key)
        return self.cache[key]

    def put(self, key, value):
        self.cache[key] = value
        self.cache.move_to_end(key)
        if len(self.cache) > self.capacity:
            self.cache.popitem(last=False)
''',
    '''import asyncio

async def fetch(session, url):
    async with session.get(url, timeout=10) as resp:
        # 상태 코드가 200이 아니면 예외를 던진다
        resp.raise_for_status()
        return await resp.json()

async def main(urls):
    async with aiohttp.ClientSession() as s:
        return await asyncio.gather(*(fetch(s, u) for u in urls))
''',
    '''@app.route("/api/v1/users/<int:user_id>", methods=["GET"])
def get_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, description=f"user {user_id} not found")
    return jsonify(id=user.id, name=user.name, email=user.email)
''',
    '''def quicksort(a):
    if len(a) <= 1:
        return a
    pivot = a[len(a) // 2]
    left = [x for x in a if x < pivot]
    mid = [x for x in a if x == pivot]
    right = [x for x in a if x > pivot]
    return quicksort(left) + mid + quicksort(right)
''',
    '''with open("data.csv", encoding="utf-8") as f:
    for lineno, line in enumerate(f, 1):
        name, score = line.rstrip("\\n").split(",")
        print(f"{lineno:>4}: {name!r:<20} {float(score):8.3f}")
''',
    '''>>> import numpy as np
>>> a = np.arange(12, dtype=np.float32).reshape(3, 4)
>>> a.T @ a
array([[ 80.,  92., 104., 116.],
       [ 92., 107., 122., 137.],
       [104., 122., 140., 158.],
       [116., 137., 158., 179.]], dtype=float32)
''',
    '''try:
    result = 10 / 0
except ZeroDivisionError as e:
    logger.exception("계산 실패: %s", e)
finally:
    cleanup()
''',
    '''lambda x: x ** 2 if x % 2 == 0 else -x  # 짝수면 제곱, 홀수면 부호 반전
''',
    '''Traceback (most recent call last):
  File "/app/main.py", line 42, in <module>
    main()
  File "/app/main.py", line 17, in main
    value = config["timeout"]
KeyError: 'timeout'
''',
]

CPP = [
    '''#include <iostream>
#include <vector>

int main() {
    std::vector<int> v{3, 1, 4, 1, 5, 9, 2, 6};
    std::sort(v.begin(), v.end());
    for (auto x : v) std::cout << x << ' ';
    std::cout << '\\n';
    return 0;
}
''',
    '''template <typename T>
class Stack {
 public:
    void push(T value) { data_.push_back(std::move(value)); }
    T pop() {
        T top = std::move(data_.back());
        data_.pop_back();
        return top;
    }
    bool empty() const noexcept { return data_.empty(); }

 private:
    std::vector<T> data_;
};
''',
    '''struct Node {
    int key;
    Node* left = nullptr;
    Node* right = nullptr;
};

Node* insert(Node* root, int key) {
    if (!root) return new Node{key};
    if (key < root->key) root->left = insert(root->left, key);
    else if (key > root->key) root->right = insert(root->right, key);
    return root;
}
''',
    '''std::mutex m;
std::condition_variable cv;
bool ready = false;

void worker() {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [] { return ready; });
    // 이제 공유 데이터에 안전하게 접근할 수 있다
}
''',
    '''auto it = std::find_if(users.cbegin(), users.cend(),
                       [&](const User& u) { return u.id == target_id && u.active; });
if (it != users.cend()) { std::printf("%s <%s>\\n", it->name.c_str(), it->email.c_str()); }
''',
    '''constexpr uint64_t fnv1a(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) { h ^= c; h *= 0x100000001b3ULL; }
    return h;
}
static_assert(fnv1a("") == 0xcbf29ce484222325ULL);
''',
    '''#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s:%d: %s\\n", __FILE__, __LINE__, #x); abort(); } } while (0)
''',
    '''__global__ void saxpy(int n, float a, const float* __restrict__ x, float* __restrict__ y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + y[i];
}
''',
]

SQL = [
    '''SELECT u.id, u.name, COUNT(o.id) AS order_count
FROM users u
LEFT JOIN orders o ON o.user_id = u.id
WHERE u.created_at >= '2024-01-01'
GROUP BY u.id, u.name
HAVING COUNT(o.id) > 5
ORDER BY order_count DESC
LIMIT 10;
''',
    '''CREATE TABLE accounts (
    id          BIGINT PRIMARY KEY AUTO_INCREMENT,
    owner_name  VARCHAR(100) NOT NULL,   -- 예금주
    balance     DECIMAL(15, 2) DEFAULT 0.00,
    created_at  TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_accounts_owner ON accounts (owner_name);
''',
    '''BEGIN;
UPDATE accounts SET balance = balance - 100000 WHERE id = 1;
UPDATE accounts SET balance = balance + 100000 WHERE id = 2;
COMMIT;
''',
    '''WITH RECURSIVE subordinates AS (
    SELECT id, manager_id, name FROM employees WHERE id = 42
    UNION ALL
    SELECT e.id, e.manager_id, e.name
    FROM employees e JOIN subordinates s ON e.manager_id = s.id
)
SELECT * FROM subordinates;
''',
    '''SELECT name, salary,
       RANK() OVER (PARTITION BY dept_id ORDER BY salary DESC) AS rnk
FROM employees
WHERE name LIKE '김%' OR name LIKE 'Kim%';
''',
    '''EXPLAIN ANALYZE SELECT * FROM logs WHERE ts BETWEEN '2025-03-01 00:00:00' AND '2025-03-01 23:59:59';
''',
]

JSON_SNIPPETS = [
    '''{
    "name": "sunbae",
    "version": "0.1.0",
    "dependencies": {
        "nlohmann_json": ">=3.10",
        "pcre2": "10.42"
    },
    "enabled": true,
    "threshold": 0.75,
    "tags": ["llm", "inference", "한국어"],
    "owner": null
}
''',
    '''{"model": "llama-3-8b", "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "안녕하세요! 자기소개 부탁드려요."}], "temperature": 0.7, "max_tokens": 512, "stream": true}
''',
    '''[
    {"id": 1, "question": "프로세스와 스레드의 차이는?", "difficulty": "easy"},
    {"id": 2, "question": "What is a B+ tree?", "difficulty": "medium"},
    {"id": 3, "question": "Explain Raft.", "difficulty": "hard", "score": 9.5e-1}
]
''',
    '''{"escaped": "line1\\nline2\\t\\"quoted\\" \\\\ backslash \\u00e9 \\ud83d\\ude00", "empty": "", "nested": {"a": {"b": {"c": [1, [2, [3]]]}}}}
''',
]

OTHER_CODE = [
    '''#!/usr/bin/env bash
set -euo pipefail
for f in *.log; do
    grep -E "ERROR|WARN" "$f" | awk '{print $1, $2}' >> summary.txt
done
echo "done: $(wc -l < summary.txt) lines"
''',
    '''function debounce(fn, ms) {
    let t;
    return (...args) => {
        clearTimeout(t);
        t = setTimeout(() => fn.apply(this, args), ms);
    };
}
''',
    '''public class Singleton {
    private static volatile Singleton instance;
    private Singleton() {}
    public static Singleton getInstance() {
        if (instance == null) {
            synchronized (Singleton.class) {
                if (instance == null) instance = new Singleton();
            }
        }
        return instance;
    }
}
''',
    '''fn main() {
    let v: Vec<i32> = (1..=10).filter(|x| x % 2 == 0).collect();
    println!("{:?}", v);
}
''',
    '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: sunbae-server
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: server
          image: "sunbae:0.1.0"
          resources: {limits: {nvidia.com/gpu: 1}}
''',
    '''<div class="answer" data-id="42">
    <p>프로세스는 <strong>독립된</strong> 메모리 공간을 가집니다.</p>
    <!-- comment -->
    <br/>&nbsp;&lt;tag&gt; &amp; &#x1F600;
</div>
''',
    '''diff --git a/src/main.cpp b/src/main.cpp
@@ -1,4 +1,4 @@
-int x = 0;
+int x = 1;
 // unchanged
''',
    '''| 알고리즘 | 평균 | 최악 |
|---|---|---|
| Quick sort | O(n log n) | O(n^2) |
| Merge sort | O(n log n) | O(n log n) |
''',
    '''\\begin{equation}
  \\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}
\\end{equation}
''',
]

# ---------------------------------------------------------------------------------------------

EMOJI = [
    "😀", "😂", "🥲", "🤔", "🙏", "🔥", "✨", "🚀", "💯", "🎉", "👀", "🤖", "🧠", "💻", "🐍", "🦀",
    "❤️", "❤", "☺️", "✅", "❌", "⚠️", "⭐", "☕", "🍜", "🇰🇷", "🇺🇸", "🇯🇵", "🇬🇧", "🇪🇺", "🏴‍☠️",
    "🏳️‍🌈", "🏳️‍⚧️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👨‍👩‍👧‍👦", "👩‍❤️‍💋‍👨", "👩🏽‍💻", "🧑🏿‍🚀", "👨🏻‍🍳", "🤷‍♀️", "🙋🏾‍♂️",
    "👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "✋🏿", "👋🏼", "🫶🏽", "1️⃣", "#️⃣", "*️⃣", "©️", "®️",
    "™️", "🆗", "🈶", "🀄", "🃏", "🫠", "🪿", "🧑‍🧑‍🧒‍🧒", "😶‍🌫️", "❤️‍🔥", "🐻‍❄️", "👁️‍🗨️",
]

SPECIAL_TOKENS = [
    "<s>", "</s>", "<unk>", "<pad>", "<mask>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>",
    "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
    "<|eom_id|>", "<|python_tag|>", "<|reserved_special_token_0|>", "<|reserved_special_token_250|>",
    "<|finetune_right_pad_id|>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|vision_start|>",
    "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<think>", "</think>", "<tool_call>",
    "</tool_call>", "<tool_response>", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>",
    "<｜User｜>", "<｜Assistant｜>", "<｜tool▁calls▁begin｜>", "<｜fim▁hole｜>", "[INST]", "[/INST]",
    "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[control_8]",
    "<unused0>", "<unused99>", "<2mass>", "<table>", "</table>", "<h1>", "<br>", "[@BOS@]", "<img>",
    "<start_of_image>", "<|image|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>",
]

PARTIAL_TOKENS = [
    "<|im_st", "<|im_start", "|im_start|>", "im_start|>", "<|im_start|", "<|begin_of_", "_of_text|>",
    "<|eot_id", "eot_id|>", "< s>", "<s >", "<s", "s>", "</s", "/s>", "<<s>>", "<</s>>", "<ｓ>",
    "<|IM_START|>", "<|Im_Start|>", "<| im_start |>", "<|im_start|>>", "<<|im_start|>", "<bos",
    "bos>", "< bos >", "<start_of_", "of_turn>", "<｜begin▁of", "▁of▁sentence｜>", "<|begin▁of▁sentence|>",
    "[INST", "INST]", "[ /INST]", "[inst]", "<think", "think>", "<|", "|>", "<||>", "<|>", "<>",
]

WS_CHARS = [
    " ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u200b", "\u3000", "\u2028", "\u2029", "\u0085",
    "\u200d", "\u200c", "\ufeff", "\u2009", "\u202f", "\u2003", "\u00ad", "\x0b", "\x0c", "\u180e",
    "\u2060", "\u1680", "\u205f",
]

NUM_WORDS = ["total", "합계", "price", "가격", "n", "x", "result", "응답 시간", "id", "버전"]


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


class Corpus:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.seen: dict[str, str] = {}

    def add(self, cat: str, text: str) -> None:
        assert isinstance(text, str)
        text.encode("utf-8")  # no lone surrogates
        if text in self.seen:
            return
        self.seen[text] = cat
        self.items.append((cat, text))


def ko_paragraph(rng: random.Random) -> str:
    n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 12])
    parts = rng.sample(S.KO_ANSWERS, n)
    if rng.random() < 0.4:
        parts.insert(0, rng.choice(S.KO_OPENERS))
    sep = rng.choice([" ", " ", " ", "\n", "\n\n", "  "])
    text = sep.join(parts)
    r = rng.random()
    if r < 0.1:
        text = "Q. " + rng.choice(["프로세스와 스레드의 차이를 설명해 주세요.", "인덱스는 왜 쓰나요?",
                                   "TCP와 UDP의 차이는?", "CAP 정리를 설명해 보세요."]) + "\nA. " + text
    elif r < 0.15:
        text = "- " + text.replace(sep, "\n- ") if sep != " " else text
    return text


def en_paragraph(rng: random.Random) -> str:
    n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 12])
    parts = rng.sample(S.EN_ANSWERS, n)
    if rng.random() < 0.4:
        parts.insert(0, rng.choice(S.EN_OPENERS))
    sep = rng.choice([" ", " ", " ", "\n", "\n\n", "  "])
    text = sep.join(parts)
    r = rng.random()
    if r < 0.1:
        text = "Interviewer: " + rng.choice(["What's the difference between a process and a thread?",
                                             "Why do we need indexes?", "Explain TCP vs UDP.",
                                             "How would you design a rate limiter?"]) + "\nMe: " + text
    elif r < 0.15:
        text = text.upper()
    elif r < 0.2:
        text = text.lower()
    return text


def code_variants(snippet: str) -> list[str]:
    out = [snippet]
    out.append(snippet.replace("    ", "\t"))
    out.append(snippet.replace("\n", "\r\n"))
    out.append(snippet.replace("    ", "  ").rstrip("\n"))
    return out


def numbers(rng: random.Random) -> list[str]:
    out: list[str] = []
    for n in [0, 1, 7, 10, 42, 99, 100, 123, 999, 1000, 1024, 4096, 65535, 65536, 100000, 1234567,
              2147483647, 4294967296, 9007199254740993, 18446744073709551615]:
        out += [str(n), f"{n:,}", f"-{n}", f"{rng.choice(NUM_WORDS)} = {n}"]
    for _ in range(40):
        d = rng.randint(1, 40)
        out.append("".join(rng.choice("0123456789") for _ in range(d)))
    for _ in range(20):
        x = rng.uniform(-1e6, 1e6)
        out.append(f"{x:.{rng.randint(1, 8)}f}")
        out.append(f"{x:,.2f}")
    out += ["3.14", "3.14159265358979323846264338327950288419716939937510", "3.14e-10", "6.022E+23",
            "1e9", "-0.0", "+1.5", ".5", "5.", "1_000_000", "0xDEADBEEF", "0b1011_0110", "0o755",
            "1.2.3", "v0.23.3", "10.0.0.1", "192.168.0.255:8080", "::1", "2001:db8::ff00:42:8329",
            "NaN", "inf", "-inf", "1/3", "2^31-1", "10^9+7", "1,234,567", "1.234.567,89", "12,34,567",
            "₩1,000,000", "$3.50", "€12,99", "¥1,980", "£0.99", "50%", "99.9%", "−273.15°C", "98.6°F",
            "３．１４", "１２３４５６７８９０", "١٢٣٤٥٦٧٨٩٠", "۱۲۳", "०१२३४५६७८९", "x²+y²=z²", "H₂O",
            "½ ¼ ¾ ⅓ ⅞", "Ⅰ Ⅱ Ⅲ Ⅳ Ⅻ ⅰ ⅱ", "①②③④⑤⑥⑦⑧⑨⑩⑳", "⑴ ⒈ ⓐ ㉑", "一二三四五六七八九十百千万億",
            "일이삼사오육칠팔구십", "하나 둘 셋 넷", "1st 2nd 3rd 4th 21st 112th"]
    for _ in range(15):
        out.append(f"010-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}")
    out += ["+82 10-1234-5678", "+82-2-123-4567", "(02) 123-4567", "+1 (555) 123-4567", "555.123.4567",
            "1588-1234", "+44 20 7946 0958", "+81-3-1234-5678", "tel:+821012345678"]
    for _ in range(12):
        y, m, d = rng.randint(1970, 2099), rng.randint(1, 12), rng.randint(1, 28)
        hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        out += [f"{y}-{m:02d}-{d:02d}", f"{y}.{m}.{d}.", f"{y}년 {m}월 {d}일", f"{m:02d}/{d:02d}/{y}",
                f"{y}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{rng.randint(0, 999999):06d}+09:00"]
    out += ["오후 3시 30분", "3:30 PM", "15:30:00", "1970-01-01T00:00:00Z", "Mon, 25 Nov 2026 16:57:15 +0000",
            "1732553835", "1732553835123", "2026년 11월 25일 (수)", "令和8年11月25日", "'24", "FY2025 Q3"]
    for k in (50, 100, 200, 400):
        out.append("".join(rng.choice("0123456789") for _ in range(k)))
    out.append("1234567890" * 20)
    out.append(" ".join(str(rng.randint(0, 10**rng.randint(1, 12))) for _ in range(60)))
    out.append(",".join(str(rng.randint(0, 1000)) for _ in range(80)))
    out.append("[" + ", ".join(f"{rng.gauss(0, 1):.6f}" for _ in range(40)) + "]")
    return out


def build() -> Corpus:
    rng = random.Random(SEED)
    C = Corpus()

    # Empty and near-empty.
    C.add("empty", "")

    # Korean / English interview answers: every sentence alone, then paragraphs.
    for s in S.KO_ANSWERS:
        C.add("ko_answer", s)
    for s in S.EN_ANSWERS:
        C.add("en_answer", s)
    for _ in range(420):
        C.add("ko_answer", ko_paragraph(rng))
    for _ in range(420):
        C.add("en_answer", en_paragraph(rng))
    for _ in range(60):  # bilingual answers: Korean with an English summary, and back
        ko = rng.sample(S.KO_ANSWERS, rng.randint(1, 3))
        en = rng.sample(S.EN_ANSWERS, rng.randint(1, 3))
        sep = rng.choice([" ", "\n", "\n\n", " / "])
        C.add("mixed_ko_en", sep.join(ko + en) if rng.random() < 0.5 else sep.join(en + ko))

    # Mixed Korean/English with identifiers.
    for s in S.MIXED:
        C.add("mixed_ko_en", s)
    for _ in range(220):
        frag = rng.choice(S.KO_FRAGMENTS_FOR_MIX)
        x, y = rng.sample(S.IDENTIFIERS, 2)
        q = rng.choice(["`", "", "'", '"', "**"])
        text = frag.format(x=f"{q}{x}{q}", y=f"{q}{y}{q}")
        if rng.random() < 0.5:
            text = rng.choice(S.MIXED) + rng.choice([" ", "\n"]) + text
        if rng.random() < 0.3:
            text += " " + rng.choice(S.KO_ANSWERS)
        C.add("mixed_ko_en", text)

    # Code.
    for snippet in PYTHON + CPP + SQL + JSON_SNIPPETS + OTHER_CODE:
        for v in code_variants(snippet):
            C.add("code", v)
    all_code = PYTHON + CPP + SQL + JSON_SNIPPETS + OTHER_CODE
    for _ in range(120):  # line slices, sometimes inside a Markdown fence or an answer
        sn = rng.choice(all_code)
        lines = sn.split("\n")
        a = rng.randrange(len(lines))
        b = rng.randint(a + 1, len(lines))
        piece = "\n".join(lines[a:b])
        if rng.random() < 0.3:
            piece = piece.replace("    ", "\t")
        r = rng.random()
        if r < 0.3:
            piece = "```" + rng.choice(["python", "cpp", "sql", "json", ""]) + "\n" + piece + "\n```"
        elif r < 0.5:
            piece = rng.choice(S.KO_ANSWERS + S.EN_ANSWERS) + "\n\n" + piece
        C.add("code", piece)
    C.add("code", "\n\n".join(all_code))  # one long mixed file

    # Numbers.
    for s in numbers(rng):
        C.add("numbers", s)
    for _ in range(60):
        words = [rng.choice(S.KO_ANSWERS + S.EN_ANSWERS)[: rng.randint(10, 60)],
                 rng.choice(numbers(random.Random(rng.random())))]
        rng.shuffle(words)
        C.add("numbers", " ".join(words))

    # Emoji.
    for e in EMOJI:
        C.add("emoji", e)
    for _ in range(130):
        k = rng.randint(1, 12)
        es = [rng.choice(EMOJI) for _ in range(k)]
        sep = rng.choice(["", " ", "", "\n"])
        body = sep.join(es)
        r = rng.random()
        if r < 0.35:
            body = rng.choice(S.KO_ANSWERS + S.EN_ANSWERS + S.MIXED) + rng.choice(["", " "]) + body
        elif r < 0.55:
            body = body + " " + rng.choice(["ㅋㅋㅋ", "lol", "최고예요", "great job", "합격!"])
        C.add("emoji", body)

    # Unicode normalization: NFD Hangul, jamo, compatibility characters.
    for s in rng.sample(S.KO_ANSWERS, 30) + S.MULTILINGUAL[-3:]:
        C.add("unicode_norm", nfd(s))
    for s in rng.sample(S.MIXED, 10):
        C.add("unicode_norm", nfd(s))
    compat = [
        "ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ", "ﬁnd the ﬁrst ﬂoor", "ＡＢＣＤＥＦ ａｂｃｄｅｆ ０１２３", "Ｈｅｌｌｏ，　Ｗｏｒｌｄ！",
        "①②③ ⑴⑵⑶ ⒜⒝ Ⓐⓑ ㉠㉡ ㈀㈜ ㊀㊊", "㎏ ㎞ ㎠ ㎖ ℃ ℉ № ™ ℡ ㏂ ㏘", "Å Å Å Ω Ω K K",
        "ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟﾌﾟ ｱｲｳｴｵ", "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ ㅏㅑㅓㅕㅗㅛㅜㅠㅡㅣ", "ﾡﾢﾣ ￡￥￦",
        "\u1100\u1161\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af", "\u1100\u1161" * 10,
        "\u115f\u1160", "\u1107\u1167\u11ab\u1112\u116a", "ᄀᄁᄂᄃ ᅡᅢᅣᅤ ᆨᆩᆪ", "e\u0301 vs \u00e9",
        "n\u0303 a\u0308 o\u0302 u\u0300", "a\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308",
        "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O",
        "ǅ ǈ ǋ ǲ", "ſ ẛ ﬅ", "ＩＮＳＴ ＜ｓ＞ ＜／ｓ＞", "𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 𝕯𝖔𝖚𝖇𝖑𝖊 𝟘𝟙𝟚",
        "ⁱⁿ ₐₑ ² ³ ¹ ⁰", "…‥ ‼ ⁇ ⁈", "＂ｑｕｏｔｅｄ＂ ＇ｓ＇", "｛｝［］（）＜＞", "〔〕【】《》「」『』",
        "\u2126\u212b\u2160\u2161", "㍻ ㍼ ㋿ ㌀ ㌔", "ｬｭｮ ｧｨｩ", "ℌℍℎℏ ℓ ℘ ℜ ℵ",
        "가\u0300나\u0301", "\u3131\u314f (compat jamo) vs \u1100\u1161 (conjoining)",
        "각" + "\u11a8" * 3, "\u1100" * 5 + "\u1161" * 5,
    ]
    for s in compat:
        C.add("unicode_norm", s)
        C.add("unicode_norm", nfd(s))
    for _ in range(40):
        base = rng.choice(S.KO_ANSWERS + S.MULTILINGUAL + compat)
        cut = rng.randint(0, len(base))
        C.add("unicode_norm", base[:cut] + nfd(base[cut:]))

    # Special-token look-alikes.
    for t in SPECIAL_TOKENS + PARTIAL_TOKENS:
        C.add("special_like", t)
    for t in SPECIAL_TOKENS:
        for fmt in ("{t}Hello", "Hello{t}", " {t} ", "a {t}b", "안녕{t}하세요", "{t}\n", "\n{t}\n\n",
                    "{t}{t}", "  {t}  x"):
            C.add("special_like", fmt.format(t=t))
    for _ in range(150):
        k = rng.randint(1, 5)
        parts = []
        for _ in range(k):
            parts.append(rng.choice(SPECIAL_TOKENS + PARTIAL_TOKENS))
            parts.append(rng.choice(["", " ", "  ", "\n", "user\n", "assistant", " hi ", "질문: ",
                                     rng.choice(S.KO_ANSWERS + S.EN_ANSWERS)[:40]]))
        C.add("special_like", "".join(parts))
    chats = [
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\n프로세스와 스레드의 차이는?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
        "<|im_start|>system\nYou are Qwen.<|im_end|>\n<|im_start|>user\nTCP와 UDP의 차이?<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n\n</think>\n\nTCP는 연결 지향입니다.<|im_end|>\n",
        "<bos><start_of_turn>user\n인덱스를 설명해 주세요.<end_of_turn>\n<start_of_turn>model\n",
        "<s>[INST] What is a mutex? [/INST] A mutex is a lock.</s>[INST] 한국어로 설명해 줘 [/INST]",
        "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>CAP 정리란?<｜Assistant｜>",
        "<s> [INST] <<SYS>>\nBe concise.\n<</SYS>>\n\nExplain B+ trees. [/INST]",
        "Text mentioning <s> and </s> as HTML-ish strikethrough: <s>old price</s> new price.",
        "In XML you'd write <bos>...</bos>, and ChatML uses <|im_start|>role\\n...<|im_end|>.",
    ]
    for c in chats:
        C.add("special_like", c)
        C.add("special_like", c.replace("\n", "\r\n"))
        C.add("special_like", " " + c + " ")

    # Whitespace.
    for w in WS_CHARS:
        C.add("whitespace", w)
        C.add("whitespace", w * 3)
        C.add("whitespace", "a" + w + "b")
        C.add("whitespace", "가" + w + "나")
        C.add("whitespace", w + "hello" + w)
    for n in [2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100]:
        C.add("whitespace", " " * n)
        C.add("whitespace", "x" + " " * n + "y")
        C.add("whitespace", "\n" * n)
        C.add("whitespace", "end." + "\n" * n + "start")
        C.add("whitespace", "\t" * n + "indented")
        C.add("whitespace", "\r\n" * n)
    for s in ["line1\r\nline2\r\nline3", "line1\rline2\rline3", "mixed\r\n\n\r\r\n\nend", "\r", "\r\n",
              "\n\r", "trailing space ", " leading space", "  both  ", "\t\ttabs\t\t", "a\u00a0b\u00a0\u00a0c",
              "zero\u200bwidth\u200bspace", "word\u2060joiner", "\u3000\u3000全角スペース\u3000",
              "한국어\u3000문장\u3000사이", "\ufeffBOM at start", "BOM\ufeffin middle", " \n \n \n ", "\n \n",
              "\t \t \t", " \t\n\r\u000b\u000c", "a \n b", "a  \n  b", "a\n\n\nb\n\n\n\n\nc",
              "first line\n\n    indented after blank\n\t\ttabbed", "   \n   ", "\n\n\n", " ", "\n", "\t"]:
        C.add("whitespace", s)
    for _ in range(60):
        k = rng.randint(2, 10)
        parts = []
        for _ in range(k):
            parts.append(rng.choice(["a", "word", "단어", "코드", "x=1", "end.", "Hello", "世界", ""]))
            parts.append("".join(rng.choice(WS_CHARS) for _ in range(rng.randint(1, 5))))
        C.add("whitespace", "".join(parts))

    # Long runs of one character (or one short unit).
    runs = [("a", 1000), ("가", 500), ("!", 300), (" ", 1000), ("\n", 200), ("\t", 100), ("0", 500),
            ("9", 301), ("=", 200), ("-", 120), ("_", 99), (".", 257), ("ab", 300), ("안녕", 100),
            ("😀", 100), ("👍🏽", 50), ("ㅋ", 200), ("\u200b", 50), ("\u00a0", 64), ("é", 100),
            ("\r\n", 100), ("<s>", 40), ("<|im_start|>", 20), ("ﬁ", 30), ("\u1100\u1161", 60),
            ("Z", 1024), ("z", 33), ("/", 80), ("*", 100), ("#", 64), ("a ", 200), ("A", 2)]
    for unit, n in runs:
        C.add("long_run", unit * n)
    C.add("long_run", "x" + " " * 500 + "y")
    C.add("long_run", "시작" + "가" * 300 + "끝")
    C.add("long_run", " ".join(["supercalifragilisticexpialidocious"] * 30))
    C.add("long_run", "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1500)))
    C.add("long_run", "".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(600)))
    C.add("long_run", "".join(rng.choice(S.KO_ANSWERS + S.EN_ANSWERS) for _ in range(40)))

    # Other scripts.
    for s in S.MULTILINGUAL:
        C.add("multilingual", s)
    for _ in range(120):
        k = rng.randint(1, 4)
        pool = S.MULTILINGUAL + S.KO_ANSWERS[:10] + S.EN_ANSWERS[:10]
        C.add("multilingual", rng.choice([" ", "\n", ""]).join(rng.sample(pool, k)))

    # Control characters, U+FFFD, noncharacters, private use, astral planes.
    ctrl = [chr(c) for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0D)] + ["\x7f"] + \
           [chr(c) for c in range(0x80, 0xA0)]
    for c in ctrl:
        C.add("control", c)
        C.add("control", "a" + c + "b")
    for s in ["\ufffd", "\ufffd\ufffd\ufffd", "replacement \ufffd char", "깨진 문자 \ufffd\ufffd 입니다",
              "\ufffe", "\uffff", "\U0010ffff", "\U000f0000", "\ue000\uf8ff", "\U0001d11e 𝄞 music",
              "\U00020000\U0002a6d6 CJK Ext B", "\u0000", "nul\u0000inside", "\u0000\u0000\u0000",
              "bell\x07 backspace\x08 escape\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "del\x7fete",
              "\u200e LRM \u200f RLM \u202a LRE \u202c PDF \u2066 isolate \u2069", "\u034f CGJ",
              "\ufe0f lone VS16", "\U000e0001\U000e0041 tags", "\u0300 leading combining mark",
              "\ud7a3\ud7b0\ud7fb", "\u3164 hangul filler \uffa0", "\u115f\u1160 fillers",
              "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"]:
        C.add("control", s)

    # Every printable ASCII character alone, and a few pairs.
    for c in range(0x20, 0x7F):
        C.add("ascii_single", chr(c))
    for s in ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "I'm", "don't", "you're", "'",
              "''", "' ", " '", "a'", "??", "?!", "...", "--", "->", "=>", "::", "//", "/*", "*/", "<<",
              ">>", "&&", "||", "!=", "==", "<=", ">=", "+=", "{}", "[]", "()", "\"\"", "``", "```", "~~",
              "$$", "@@", "##", "%%", "^^", "\\n", "\\t", "\\\\", "a", "ab", "abc", "I", "A", "가", "각"]:
        C.add("ascii_single", s)

    # Random mixtures of everything above.
    pool = [t for _, t in C.items if 0 < len(t) <= 300]
    for _ in range(300):
        k = rng.randint(2, 6)
        parts = [rng.choice(pool) for _ in range(k)]
        seps = [rng.choice(["", " ", "\n", "\t", "  ", "\r\n", "\u00a0"]) for _ in range(k - 1)]
        text = parts[0]
        for sep, p in zip(seps, parts[1:]):
            text += sep + p
        if rng.random() < 0.2:
            text = " " + text
        if rng.random() < 0.2:
            text += rng.choice([" ", "\n", "  "])
        C.add("fuzz_mix", text)
    for _ in range(60):  # random code points from interesting ranges
        ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
                  (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x3040, 0x30FF), (0x3130, 0x318F),
                  (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF), (0x1F300, 0x1FAFF),
                  (0x2000, 0x206F), (0xFB00, 0xFB4F), (0x1D400, 0x1D7FF)]
        n = rng.randint(1, 40)
        chars = []
        for _ in range(n):
            lo, hi = rng.choice(ranges)
            chars.append(chr(rng.randint(lo, hi)))
        C.add("fuzz_codepoints", "".join(chars))
    return C


def serialize(C: Corpus) -> bytes:
    lines = [json.dumps({"text": t, "cat": c}, ensure_ascii=False) for c, t in C.items]
    return ("\n".join(lines) + "\n").encode("utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="verify the committed file is up to date")
    args = ap.parse_args()
    C = build()
    data = serialize(C)
    if len(data) > MAX_BYTES:
        print(f"corpus is {len(data)} bytes, over the {MAX_BYTES} limit", file=sys.stderr)
        return 1
    counts: dict[str, int] = {}
    nbytes: dict[str, int] = {}
    for c, t in C.items:
        counts[c] = counts.get(c, 0) + 1
        nbytes[c] = nbytes.get(c, 0) + len(t.encode("utf-8"))
    if args.check:
        old = args.out.read_bytes() if args.out.exists() else b""
        if old != data:
            print(f"{args.out} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    for c in counts:
        print(f"{c:18s} {counts[c]:5d} strings {nbytes[c]:9d} text bytes")
    print(f"{'total':18s} {len(C.items):5d} strings {sum(nbytes.values()):9d} text bytes; "
          f"file {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
