#!/usr/bin/env python3
"""Renders the chat templates in templates/ with transformers' own renderer and writes the
expected outputs the C++ interpreter must reproduce byte for byte (data/expected.json).

Run from anywhere: python3 tests/template/make_chat_expected.py
Needs only transformers and jinja2 (no torch). The rendering function is the one
apply_chat_template(..., tokenize=False) calls: transformers.utils.chat_template_utils.
render_jinja_template, with bos/eos tokens from each family's tokenizer_config.json and the
same fixed arguments apply_chat_template passes (tools, documents, add_generation_prompt).

Every dict in the data is rebuilt with sorted keys before rendering. The C++ side receives the
context as nlohmann::json, whose objects iterate in key order, so Python's insertion order and
the C++ order agree only if they are the same order; templates that iterate a dict (tool
schemas through tojson or .items()) would otherwise differ for reasons outside the interpreter.
"""
import gzip
import json
import os
import sys

import jinja2
import transformers
from transformers.utils.chat_template_utils import render_jinja_template

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "tokenizers"))
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/tokenizers"


def special_token(cfg, name):
    tok = cfg.get(name)
    if isinstance(tok, dict):  # AddedToken serialized as {"content": ...}
        tok = tok.get("content")
    return tok


def tokens_from(folder):
    with gzip.open(os.path.join(SHARED, folder, "tokenizer_config.json.gz"), "rt", encoding="utf-8") as f:
        cfg = json.load(f)
    return special_token(cfg, "bos_token"), special_token(cfg, "eos_token")


def canonical(x):
    return json.loads(json.dumps(x, sort_keys=True, ensure_ascii=False))


# ---- conversations ------------------------------------------------------------------------------

EN_USER = {"role": "user", "content": "What is the capital of France?"}
SYSTEM_EN = {"role": "system", "content": "You are a concise assistant."}
SYSTEM_KO = {"role": "system", "content": "당신은 친절한 한국어 도우미입니다. 항상 존댓말을 쓰세요."}

MULTI_EN = [
    {"role": "user", "content": "Hello! Can you help me plan a trip?"},
    {"role": "assistant", "content": "Of course. Where would you like to go?"},
    {"role": "user", "content": "Somewhere warm in December."},
]

MULTI_KO = [
    {"role": "user", "content": "안녕하세요? 오늘 서울 날씨 어때요?"},
    {"role": "assistant", "content": "안녕하세요! 오늘 서울은 맑고 기온은 영하 2도입니다."},
    {"role": "user", "content": "그럼 어떤 옷을 입는 게 좋을까요?"},
]

SPECIAL = [
    {"role": "user", "content": "  Quote \"this\", 'that' & <tags>; backslash \\ and braces {{ x }} {% y %} {# z #}\n\tindented line\n\n"},
    {"role": "assistant", "content": "\nLine one\r\nLine two — em dash, emoji 🙂, 中文, café\n  "},
    {"role": "user", "content": "Mixed 한국어 and English, tab\there, trailing spaces   "},
]

ENDS_WITH_ASSISTANT = [
    {"role": "user", "content": "Say hi."},
    {"role": "assistant", "content": "Hi!"},
]

LONG_MULTI = [
    {"role": "user", "content": "1+1?"},
    {"role": "assistant", "content": "2"},
    {"role": "user", "content": "2+2?"},
    {"role": "assistant", "content": "4"},
    {"role": "user", "content": "그리고 3+3은?"},
    {"role": "assistant", "content": "6입니다."},
    {"role": "user", "content": "Thanks."},
]

THINKING = [
    {"role": "user", "content": "Is 17 prime?"},
    {"role": "assistant", "content": "<think>\nCheck divisors up to 4: none divide 17.\n</think>\n\nYes, 17 is prime."},
    {"role": "user", "content": "And 21?"},
]

REASONING_FIELD = [
    {"role": "user", "content": "Pick a colour."},
    {"role": "assistant", "content": "Blue.", "reasoning_content": "Any colour works; blue is common."},
]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city (도시 날씨)",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Seoul\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
            },
            "required": ["city"],
        },
    },
}

QWEN_TOOL_CHAT = [
    {"role": "system", "content": "You can call tools."},
    {"role": "user", "content": "서울 날씨 알려줘"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Seoul", "unit": "celsius"}}}]},
    {"role": "tool", "content": "{\"temperature\": -2, \"sky\": \"clear\"}"},
    {"role": "tool", "content": "second result"},
]

MISTRAL_TOOL_CHAT = [
    {"role": "user", "content": "What's the weather in Busan?"},
    {"role": "assistant", "tool_calls": [
        {"id": "abc123XYZ", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Busan"}}}]},
    {"role": "tool", "tool_call_id": "abc123XYZ", "content": "{\"temperature\": 7}"},
    {"role": "assistant", "content": "It is 7 degrees in Busan."},
    {"role": "user", "content": "고마워!"},
]

# Cases a template rejects through raise_exception(); the message is part of the expectation.
NOT_ALTERNATING = [
    {"role": "user", "content": "first"},
    {"role": "user", "content": "second"},
]
UNKNOWN_ROLE = [
    {"role": "user", "content": "Tell me a story."},
    {"role": "narrator", "content": "Once upon a time"},
]
SYSTEM_LATE = [
    {"role": "user", "content": "hi"},
    {"role": "system", "content": "late system"},
]

GENERAL = {
    "user_en": [EN_USER],
    "system_user_en": [SYSTEM_EN, EN_USER],
    "multi_turn_en": MULTI_EN,
    "multi_turn_ko": MULTI_KO,
    "multi_turn_ko_system": [SYSTEM_KO] + MULTI_KO,
    "special_characters": SPECIAL,
    "ends_with_assistant": ENDS_WITH_ASSISTANT,
    "long_multi_turn": LONG_MULTI,
}
NO_SYSTEM = {k: v for k, v in GENERAL.items() if not k.startswith("system") and "system" not in k}

# family -> (template file, bos/eos source, conversations, extra cases)
# An extra case is (name, messages, kwargs) where kwargs may hold tools and template variables.
FAMILIES = {
    "llama3-instruct": ("llama3-instruct", GENERAL, []),
    "qwen3": ("qwen3", {**GENERAL, "thinking": THINKING, "reasoning_field": REASONING_FIELD}, [
        ("no_thinking", MULTI_EN, {"enable_thinking": False}),
        ("thinking_enabled_flag", [EN_USER], {"enable_thinking": True}),
        ("tools", QWEN_TOOL_CHAT, {"tools": [WEATHER_TOOL]}),
    ]),
    "gemma": ("gemma", {**NO_SYSTEM, "system_rejected": [SYSTEM_EN, EN_USER],
                        "not_alternating": NOT_ALTERNATING}, []),
    "deepseek-v3": ("deepseek-v3", {**GENERAL, "two_systems": [SYSTEM_EN, SYSTEM_KO] + MULTI_KO}, []),
    "mistral-v0.3": ("mistral-v0.3-rebuilt", {**GENERAL, "not_alternating": NOT_ALTERNATING,
                                              "unknown_role": UNKNOWN_ROLE}, [
        ("tools", MISTRAL_TOOL_CHAT, {"tools": [WEATHER_TOOL]}),
    ]),
    "qwen2.5": ("qwen3", {**GENERAL, "thinking_text_kept": THINKING}, [
        ("tools", QWEN_TOOL_CHAT, {"tools": [WEATHER_TOOL]}),
        ("tools_no_system", QWEN_TOOL_CHAT[1:], {"tools": [WEATHER_TOOL]}),
    ]),
    "koalpaca": (None, {**GENERAL, "unknown_role": UNKNOWN_ROLE, "system_late": SYSTEM_LATE}, []),
}

# Qwen2.5-7B-Instruct's tokenizer_config.json has bos_token null and eos_token <|im_end|>, the
# same as the Qwen3 file in shared/ (the vocabularies match). KoAlpaca-Polyglot uses GPT-NeoX
# tokens; its template uses neither.
TOKEN_OVERRIDES = {"koalpaca": ("<|endoftext|>", "<|endoftext|>")}


# ---- language features ----------------------------------------------------------------------------
# (name, template, context). Rendered with the same jinja2 environment transformers builds; the C++
# test renders each and compares, or, for errors, checks that it fails with jinja2's message.
MSGS = [{"role": "system", "content": "S"}, {"role": "user", "content": "안녕"},
        {"role": "assistant", "content": "Hi"}, {"role": "user", "content": "Bye"}]
FEATURES = [
    # whitespace control, trim_blocks and lstrip_blocks
    ("ws_lstrip_trim", "  {% if true %}\n  x\n  {% endif %}\nend", {}),
    ("ws_inline_block", "a  {% if true %}b{% endif %}  \nc", {}),
    ("ws_comment_line", "{{ 'a' }}\n  {# c #}\n  b", {}),
    ("ws_plus_disables_lstrip", "x\n  {%+ if true %}y{% endif %}", {}),
    ("ws_minus_both_sides", "x {%- if true -%} \n y {%+ endif +%}\n z", {}),
    ("ws_var_minus", "  {{- 'v' -}}  \n w", {}),
    ("ws_var_no_trim", "{{ 'a' }}\n{{ 'b' }}\n", {}),
    ("ws_crlf", "a\r\nb\rc\n", {}),
    ("ws_trailing_newline_dropped", "a\n\n", {}),
    ("ws_raw", "{% raw %}{{ x }} {% if %}{% endraw %}!", {}),
    ("ws_tab_indent", "\t {% set x = 1 %}\n{{ x }}", {}),
    ("ws_block_end_newline_only_one", "{% if true %}\n\nx{% endif %}", {}),
    ("ws_minus_strips_newlines", "a\n\n  {%- if true %}b{% endif %}", {}),
    ("ws_comment_minus", "a  {#- c -#}  b", {}),
    ("ws_unicode_space", "a\u3000{%- if true %}b{% endif %}", {}),
    ("ws_for_lines", "{% for i in [1, 2] %}\n  - {{ i }}\n{% endfor %}\ndone", {}),
    # literals and printing (Python str/repr)
    ("lit_strings", r"""{{ 'a\tb' }}|{{ "q\"q" }}|{{ 'it\'s' }}|{{ '\x41\u00e9\101\\' }}|{{ 'ab' "cd" }}""", {}),
    ("lit_numbers", "{{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1.5e3 }} {{ 2.50 }} {{ 1e-7 }} {{ 12345678901234567.0 }}", {}),
    ("lit_constants", "{{ true }} {{ True }} {{ false }} {{ False }} {{ none }} {{ None }}", {}),
    ("repr_list", "{{ [1, 'a', none, true, 1.5, \"it's\", 'x\\ny', '한'] }}", {}),
    ("repr_dict_tuple", "{{ {'a': [1, (2,)], 1: {}} }} {{ (1, 2) }} {{ () }} {{ (1,) }}", {}),
    ("repr_context", "{{ messages[0] }} {{ data }}", {"messages": MSGS, "data": {"f": 0.1, "n": None, "b": False, "l": [1.0, -0.0]}}),
    ("float_repr", "{{ 1/3 }} {{ 2/2 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1.5e300 * 1e300 }} {{ -1e300 * 1e300 }} {{ 0.1 + 0.2 }}", {}),
    # operators
    ("op_arith", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 + 2.0 }} {{ true + 1 }}", {}),
    ("op_precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -1 ** 2 }} {{ 2 ** 3 ** 2 }} {{ -3|abs }} {{ 10 - 2 - 3 }} {{ 'a' ~ (1 + 2) }} {{ 1 ~ 2 * 3 }}", {}),
    ("op_strings", "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ 'a' ~ 1 ~ none ~ true ~ undefined_thing }} {{ [1] + [2] }} {{ [0] * 3 }}", {}),
    ("op_compare", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ (1, 2) == [1, 2] }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} {{ none == none }} {{ 'a' != 'a' }}", {}),
    ("op_in", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'a' in {'a': 1} }} {{ 'x' not in 'abc' }} {{ 'z' in none_list|default([]) }} {{ 1 in (1, 2) }}", {}),
    ("op_logic", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ none or none }} {{ not 0 }} {{ not [] }} {{ not 'a' }} {{ [] or {} or 'last' }}", {}),
    ("op_ternary", "{{ 'y' if true else 'n' }} {{ 'y' if false else 'n' }} [{{ 'y' if false }}] {{ 1 if 0 else 2 if 0 else 3 }}", {}),
    ("op_not_precedence", "{{ not x is defined }} {{ not 1 == 2 }} {{ not none is none }}", {}),
    # access and slicing
    ("access", "{{ m.role }} {{ m['content'] }} {{ l[0] }} {{ l[-1] }} {{ l.1 }} [{{ m.missing }}] [{{ l[9] }}] {{ s[0] }} {{ s[-1] }}", {"m": MSGS[1], "l": [10, 20, 30], "s": "한글abc"}),
    ("slicing", "{{ l[1:] }} {{ l[:-1] }} {{ l[::2] }} {{ l[::-1] }} {{ l[-2:] }} {{ l[5:] }} {{ l[1:3] }} {{ s[::-1] }} {{ s[1:3] }} {{ s[:-1] }} {{ (1, 2, 3)[1:] }}", {"l": [1, 2, 3, 4, 5], "s": "한국어abc"}),
    ("dict_methods", "{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 5) }} {{ d.keys()|list }} {{ d.values()|list }} {% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {"d": {"a": 1, "b": [2]}}),
    ("dict_key_vs_method", "{{ d.items is defined }} {{ d['items'] }} {{ d.content }}", {"d": {"items": "value", "content": "c"}}),
    ("list_methods", "{{ l.index(2) }} {{ l.count(1) }} {{ l.index(1, 1) }}", {"l": [1, 2, 1]}),
    # control flow
    ("if_elif_else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}", {}),
    ("loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", {}),
    ("loop_prev_next", "{% for x in [1, 2, 3] %}[{{ loop.previtem }}-{{ x }}-{{ loop.nextitem }}]{% endfor %}", {}),
    ("loop_cycle_changed", "{% for x in [1, 1, 2, 2, 3] %}{{ loop.cycle('a', 'b') }}{% if loop.changed(x) %}!{% endif %}{% endfor %}", {}),
    ("loop_else", "{% for x in [] %}a{% else %}empty{% endfor %} {% for x in [1] %}a{% else %}empty{% endfor %}", {}),
    ("loop_if_filter", "{% for x in range(10) if x is odd %}{{ x }}:{{ loop.index }}/{{ loop.length }}{{ ',' if not loop.last }}{% endfor %}", {}),
    ("loop_unpack", "{% for a, b in [(1, 2), [3, 4]] %}{{ a }}{{ b }}{% endfor %} {% for k, v in {'x': 1}|items %}{{ k }}{{ v }}{% endfor %}", {}),
    ("loop_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("loop_undefined", "[{% for x in nothing %}{{ x }}{% endfor %}]", {}),
    ("loop_nested", "{% for i in range(3) %}{% for j in range(i) %}{{ i }}{{ j }}{{ loop.index }} {% endfor %}{{ loop.index }};{% endfor %}", {}),
    ("loop_break_continue", "{% for i in range(10) %}{% if i is even %}{% continue %}{% endif %}{% if i > 6 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("loop_recursive", "{% for n in tree recursive %}{{ n.name }}{% if n.kids %}({{ loop(n.kids) }}){% endif %}{{ loop.depth }}{% endfor %}", {"tree": [{"name": "a", "kids": [{"name": "b", "kids": []}, {"name": "c"}]}, {"name": "d"}]}),
    ("loop_reversed_messages", "{% for m in messages[::-1] %}{{ m.role }}{% endfor %} {{ messages|length }}", {"messages": MSGS}),
    # set, scoping, namespace
    ("set_scoping", "{% set x = 'outer' %}{% for i in range(2) %}{{ x }}{% set x = i %}{{ x }}{% endfor %}{{ x }}", {}),
    ("set_loop_reset", "{% for i in range(3) %}{{ y|default('u') }}{% set y = i %}{% endfor %}", {}),
    ("set_in_if", "{% if true %}{% set x = 1 %}{% endif %}{{ x }}", {}),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = 'xy' %}{{ c }}{{ d }}", {}),
    ("set_block", "{% set x %}  a{{ 1 }}\n{% endset %}[{{ x }}]{% set y | upper | trim %} b {% endset %}[{{ y }}]", {}),
    ("namespace", "{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }} {{ ns.missing is defined }}", {}),
    ("namespace_empty_then_set", "{% set ns = namespace() %}{% set ns.index = 0 %}{{ ns.index }}{% set ns2 = namespace({'a': 1}, b=2) %}{{ ns2.a }}{{ ns2.b }}", {}),
    ("with_block", "{% set a = 1 %}{% with a = 2, b = a %}{{ a }}{{ b }}{% endwith %}{{ a }}", {}),
    # macros and call
    ("macro_basic", "{% macro m(x, y=2) %}{{ x }}-{{ y }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} {{ m(y=5, x=4) }}", {}),
    ("macro_varargs_kwargs", "{% macro m(x) %}{{ x }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1) }}|{{ m(1, 3, 4, z=5) }}", {}),
    ("macro_closure", "{% set a = 1 %}{% macro m() %}{{ a }}{{ b }}{% endmacro %}{% set b = 2 %}{{ m() }}{% set a = 3 %}{{ m() }}", {}),
    ("macro_recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", {}),
    ("macro_local_set", "{% set x = 5 %}{% macro m() %}{% set x = 6 %}{{ x }}{% endmacro %}{{ m() }}{{ x }}", {}),
    ("macro_missing_arg", "{% macro m(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}{{ m(1) }}", {}),
    ("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold{% endcall %}", {}),
    ("call_block_args", "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1, 2]) %}<{{ x }}>{% endcall %}", {}),
    ("filter_block", "{% filter upper %}hello {{ 'world' }}{% endfilter %}", {}),
    ("generation_tag", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}", {"messages": MSGS}),
    # filters
    ("f_length_count", "{{ 'abc'|length }} {{ '한국어'|length }} {{ [1, 2]|count }} {{ {'a': 1}|length }} {{ nothing|length }}", {}),
    ("f_trim", "[{{ '  a b \n'|trim }}] [{{ 'xxaxx'|trim('x') }}] [{{ '\u3000a\u00a0'|trim }}]", {}),
    ("f_case", "{{ 'hello wORLD'|upper }} {{ 'HeLLo'|lower }} {{ 'hello world-foo (bar) x'|title }} {{ 'hELLO world'|capitalize }} {{ 'ünïcode'|upper }}", {}),
    ("f_default", "{{ x|default('d') }} {{ none|default('d') }} {{ ''|default('d', true) }} {{ 0|d('z', boolean=true) }} {{ 'v'|default('d') }}", {}),
    ("f_join", "{{ [1, 'a', none]|join(', ') }} {{ 'abc'|join('-') }} {{ users|join(',', attribute='name') }} {{ []|join('x') }}", {"users": [{"name": "u1"}, {"name": "u2"}]}),
    ("f_first_last", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|first }} {{ 'abc'|last }} [{{ []|first }}] {{ {'k': 1}|first }}", {}),
    ("f_list_string", "{{ 'ab'|list }} {{ (1, 2)|list }} {{ {'a': 1}|list }} {{ 5|string ~ 'x' }} {{ [1]|string }} {{ none|string }}", {}),
    ("f_int_float", "{{ '42'|int }} {{ '42.9'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '0x1A'|int(0, 16) }} {{ ' 1_000 '|int }} {{ true|int }} {{ '3.5'|float }} {{ 'bad'|float }} {{ 2|float }} {{ ' -1e3 '|float }} {{ 'inf'|float }}", {}),
    ("f_replace", "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '-') }} {{ '한국어'|replace('국', '글') }}", {}),
    ("f_items_dictsort", "{{ {'b': 1, 'A': 2, 'c': 0}|dictsort }} {{ {'b': 1, 'A': 2, 'c': 0}|dictsort(true) }} {{ {'b': 1, 'A': 2, 'c': 0}|dictsort(by='value', reverse=true) }} {{ {'x': 1}|items|list }}", {}),
    ("f_select_reject", "{{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ [1, 5, 9]|select('gt', 4)|list }} {{ ['a', 'b']|select('in', ['b'])|list }}", {}),
    ("f_selectattr", "{{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }} {{ messages|rejectattr('role', 'eq', 'user')|list|length }} {{ items|selectattr('on')|list }}", {"messages": MSGS, "items": [{"on": True, "n": 1}, {"on": False, "n": 2}]}),
    ("f_map", "{{ ['a', 'B']|map('upper')|list }} {{ users|map(attribute='name')|join('+') }} {{ users|map(attribute='age', default=0)|list }} {{ [' x ', 'y ']|map('trim')|join }} {{ ['a,b', 'c']|map('replace', ',', ';')|list }} {{ users|map(attribute='tags.0')|list }}", {"users": [{"name": "u1", "age": 3, "tags": ["t1"]}, {"name": "u2", "tags": ["t2"]}]}),
    ("f_unique_reverse_sort", "{{ ['a', 'A', 'b', 'a']|unique|list }} {{ ['a', 'A']|unique(case_sensitive=true)|list }} {{ [3, 1, 2]|reverse|list }} {{ 'abc'|reverse }} {{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }} {{ users|sort(attribute='age')|map(attribute='name')|list }}", {"users": [{"name": "x", "age": 30}, {"name": "y", "age": 20}, {"name": "z", "age": 30}]}),
    ("f_sort_multi", "{{ users|sort(attribute='age,name')|map(attribute='name')|list }} {{ users|sort(attribute='age', reverse=true)|map(attribute='name')|list }}", {"users": [{"name": "b", "age": 1}, {"name": "a", "age": 1}, {"name": "c", "age": 0}]}),
    ("f_indent", "[{{ 'a\nb\n\nc'|indent }}] [{{ 'a\nb'|indent(2, true) }}] [{{ 'a\n\nb'|indent('> ', blank=true) }}] [{{ 'x\r\ny'|indent(1) }}]", {}),
    ("f_wordcount_misc", "{{ 'hello big world'|wordcount }} {{ '한국어 단어 세기, ok_1'|wordcount }} {{ -5|abs }} {{ [1, 2, 3]|sum }} {{ [1.5, 2]|sum }} {{ users|sum(attribute='n') }} {{ [3, 1, 2]|min }} {{ ['b', 'A']|max }} {{ 42.55|round }} {{ 42.55|round(1, 'floor') }} {{ 2.5|round }} {{ 7|round }}", {"users": [{"n": 1}, {"n": 2}]}),
    ("f_escape_safe", "{{ '<a href=\"x\">&\\'</a>'|e }} {{ '<b>'|safe }} {{ '<b>'|escape }}", {}),
    ("f_format_center_batch", "{{ '%s-%d-%.2f-%5s|%-4s|%03d'|format('a', 3, 1.234, 'r', 'l', 7) }} {{ 'x'|center(5) }}| {{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }} {{ '%(a)s'|format(a=1) }}", {}),
    ("f_attr_truncate", "{{ d|attr('get') is defined }} {{ d|attr('k') is defined }} {{ 'hello world foo'|truncate(11) }} {{ 'hello world foo'|truncate(11, true) }}", {"d": {"k": 1}}),
    ("f_tojson", "{{ data|tojson }}|{{ data|tojson(indent=2) }}|{{ data|tojson(sort_keys=true) }}|{{ data|tojson(ensure_ascii=true) }}|{{ data|tojson(separators=(',', ':')) }}|{{ [[], {}, [1]]|tojson(indent=1) }}|{{ 'a\"b\\\\c\n\t\u0001\x7f'|tojson }}|{{ none|tojson }}{{ true|tojson }}{{ 1.0|tojson }}", {"data": {"z": "é한🙂", "a": [1, 2.5, None, True, {"n": -0.0}], "m": {}}}),
    ("f_tojson_keys", "{{ {1: 'a', true: 'b', none: 'c', 2.5: 'd'}|tojson }} {{ {'b': 1, 'a': 2}|tojson(sort_keys=true, indent='\t') }}", {}),
    # tests
    ("tests_types", "{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 1 is number }} {{ 1.0 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ true is boolean }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is sequence }} {{ 'a' is sequence }} {{ 1 is sequence }} {{ {} is iterable }} {{ 1 is iterable }} {{ x is iterable }}", {}),
    ("tests_values", "{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 2 is in [1, 2] }} {{ 'a' is eq 'a' }} {{ 'a' is equalto 'b' }} {{ 2 is gt 1 }} {{ 2 is ge 2 }} {{ 1 is lt 2 }} {{ 1 is le 0 }} {{ 1 is ne 2 }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aB' is lower }} {{ none is sameas none }} {{ range is callable }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ 'nope' is filter }}", {}),
    ("tests_not", "{{ 1 is not none }} {{ x is not defined }} {{ [] is not string }}", {}),
    # string methods
    ("str_startswith", "{{ s.startswith('<tool') }} {{ s.endswith('>') }} {{ s.startswith(('a', '<t')) }} {{ s.startswith('tool', 1) }} {{ s.endswith('tool', 0, 5) }}", {"s": "<tool_response>"}),
    ("str_split", "{{ s.split() }} {{ s.split(None, 1) }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ s.rsplit(None, 1) }} {{ ''.split() }} {{ ''.split(',') }} {{ 'x</think>\n\ny'.split('</think>')[-1].lstrip('\n') }}", {"s": "  a  b\tc \n"}),
    ("str_strip", "[{{ s.strip() }}] [{{ s.lstrip() }}] [{{ s.rstrip() }}] [{{ '\n\nx\n'.strip('\n') }}] [{{ 'xyaxy'.strip('yx') }}]", {"s": " \t a b \n"}),
    ("str_misc", "{{ 'Hello'.upper() }} {{ 'Hello'.lower() }} {{ 'hello world'.title() }} {{ \"they're bill's\".title() }} {{ 'abc'.replace('b', 'x') }} {{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ '한국어한'.find('한', 1) }} {{ 'aaa'.count('a') }} {{ 'a-b'.join(['1', '2']) }} {{ 'x'.center(4, '*') }} {{ '42'.zfill(5) }} {{ '-4'.zfill(4) }} {{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ 'a\nb\r\nc'.splitlines() }} {{ 'abc'.capitalize() }} {{ 'aBc'.swapcase() }} {{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }} {{ 'Ab Cd'.istitle() }} {{ 'prefix_x'.removeprefix('prefix_') }}", {}),
    ("str_format", "{{ '{} {}'.format('a', 'b') }}|{{ '{0}{1}{0}'.format('a', 'b') }}|{{ '{name}|{x:>5}|{x:<5}|{x:^5}|{n:05d}|{f:.2f}|{n:,}|{{lit}}|{l[1]}|{d.k}|{x!r}'.format(name='N', x='ab', n=1234, f=3.14159, l=[1, 2], d={'k': 'v'}) }}", {}),
    ("str_percent", "{{ 'Hello %s!' % name }} {{ '%s and %s' % ('a', 'b') }} {{ '%d%%' % 50 }} {{ '%5.1f|%-5s|%x' % (3.14159, 'ab', 255) }} {{ '%(k)s' % {'k': 'v'} }}", {"name": "세계"}),
    # undefined behaviour
    ("undefined_print", "[{{ nothing }}] [{{ {}.missing }}] [{{ nothing|upper }}] [{{ nothing ~ 'x' }}] [{{ nothing|default('d') }}] {{ nothing == nothing }} {{ nothing is defined }} {{ nothing|list }} {{ 'x' in nothing }} {% if nothing %}t{% else %}f{% endif %}", {}),
    ("none_attribute", "[{{ n.x }}] {{ n.x is defined }} {{ m.content.content is defined }}", {"n": None, "m": {"content": "text"}}),
    # globals
    ("range_dict", "{{ range(3)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }} {{ dict(a=1, b=2) }} {{ dict([('x', 1)]) }}", {}),
    ("raise_inside_if", "{% if false %}{{ raise_exception('never') }}{% endif %}ok", {}),
]

FEATURE_ERRORS = [
    ("err_undefined_attr", "{{ x.y }}", {}),
    ("err_undefined_add", "{{ x + 1 }}", {}),
    ("err_missing_attr_chain", "{{ {'a': 1}.b.c }}", {}),
    ("err_list_element_attr", "{{ [1][5].x }}", {}),
    ("err_none_attr_chain", "{{ n.x.y }}", {"n": None}),
    ("err_str_plus_int", "{{ 'a' + 1 }}", {}),
    ("err_int_plus_str", "{{ 1 + 'a' }}", {}),
    ("err_compare_types", "{{ 1 < 'a' }}", {}),
    ("err_div_zero", "{{ 1 / 0 }}", {}),
    ("err_mod_zero", "{{ 1 % 0 }}", {}),
    ("err_floordiv_zero", "{{ 1 // 0 }}", {}),
    ("err_raise", "{{ raise_exception('Custom message: ' ~ 42) }}", {}),
    ("err_not_callable", "{{ 'abc'() }}", {}),
    ("err_unsafe_append", "{% set l = [1] %}{{ l.append(2) }}", {}),
    ("err_unsafe_dunder", "{{ ''.__class__() }}", {}),
    ("err_range_too_big", "{% for i in range(10**9) %}x{% endfor %}", {}),
    ("err_ns_assign_non_namespace", "{% set d = {} %}{% set d.x = 1 %}", {}),
    ("err_unpack", "{% for a, b in [(1, 2, 3)] %}{% endfor %}", {}),
    ("err_tojson_undefined", "{{ nothing|tojson }}", {}),
    ("err_items_on_list", "{{ [1]|items|list }}", {}),
    ("err_concat_binds_tighter_than_plus", "{{ 'a' ~ 1 + 2 }}", {}),
    ("err_macro_too_many_args", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", {}),
    ("err_macro_unknown_kwarg", "{% macro m(a) %}{% endmacro %}{{ m(b=1) }}", {}),
    ("err_in_string_int", "{{ 1 in 'abc' }}", {}),
    ("err_call_undefined_method", "{{ 'abc'.nope() }}", {}),
    ("err_iterate_int", "{% for x in 5 %}{% endfor %}", {}),
    ("err_int_of_undefined", "{{ nothing|int }}", {}),
    ("err_unhashable_key", "{{ {[1]: 2} }}", {}),
    ("err_neg_string", "{{ -'a' }}", {}),
]


def render_feature(template, context):
    try:
        t = _compile(template)
        return {"rendered": t.render(**context)}
    except Exception as e:  # jinja2's message is what the C++ error must contain
        return {"error": str(e), "error_type": type(e).__name__}


def _compile(template):
    from transformers.utils.chat_template_utils import _compile_jinja_template
    return _compile_jinja_template(template)


def render(template, messages, add_generation_prompt, bos, eos, kwargs):
    kwargs = dict(kwargs)
    tools = kwargs.pop("tools", None)
    special = {}
    # transformers passes only the special tokens that are set (special_tokens_map drops None).
    if bos is not None:
        special["bos_token"] = bos
    if eos is not None:
        special["eos_token"] = eos
    try:
        out, _ = render_jinja_template(
            conversations=[messages], tools=tools, chat_template=template,
            add_generation_prompt=add_generation_prompt, **special, **kwargs)
        return {"rendered": out[0]}
    except jinja2.exceptions.TemplateError as e:
        if type(e) is not jinja2.exceptions.TemplateError:
            raise  # only raise_exception() errors are expected; anything else is a script bug
        return {"error": str(e)}


def main():
    cases = []
    for family, (token_folder, convs, extras) in FAMILIES.items():
        path = os.path.join("templates", family + ".jinja")
        with open(os.path.join(HERE, path), encoding="utf-8") as f:
            template = f.read()
        bos, eos = TOKEN_OVERRIDES.get(family) or tokens_from(token_folder)
        items = [(name, msgs, {}) for name, msgs in convs.items()] + list(extras)
        for name, msgs, kwargs in items:
            msgs = canonical(msgs)
            kwargs = canonical(kwargs)
            for agp in (True, False):
                case = {
                    "family": family,
                    "name": name,
                    "template": path,
                    "messages": msgs,
                    "add_generation_prompt": agp,
                    "bos_token": bos,
                    "eos_token": eos,
                    "tools": kwargs.get("tools"),
                    "kwargs": {k: v for k, v in kwargs.items() if k != "tools"},
                }
                case.update(render(template, msgs, agp, bos, eos, kwargs))
                cases.append(case)
    out = {
        "generator": "tests/template/make_chat_expected.py",
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "cases": cases,
    }
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    with open(os.path.join(HERE, "data", "expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    feats = []
    for name, template, context in FEATURES + FEATURE_ERRORS:
        context = canonical(context)
        case = {"name": name, "template": template, "context": context}
        case.update(render_feature(template, context))
        feats.append(case)
    with open(os.path.join(HERE, "data", "features.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": out["generator"], "jinja2": jinja2.__version__, "cases": feats},
                  f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"features: {len(feats)} cases", file=sys.stderr)
    per = {}
    for c in cases:
        kind = "error" if "error" in c else "rendered"
        per.setdefault(c["family"], {}).setdefault(kind, 0)
        per[c["family"]][kind] += 1
    for fam, counts in per.items():
        print(f"{fam}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
