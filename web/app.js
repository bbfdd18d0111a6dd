// The feedback page: pick or type a question, answer it, watch POST /v1/feedback stream its JSON,
// then see the final result rendered: scores as a chart, lists, model answer, follow-up question.
import {ApiError, getJson, postStream, setApiKey} from "./api.js";
import {scoreChart} from "./chart.js";
import {CATEGORIES, CRITERIA, t} from "./i18n.js";

const MAX_ANSWER = 20000;  // the API's limit; longer answers get its 400, shown as any other
const $ = (id) => document.getElementById(id);

const state = {
  lang: localStorage.getItem("sunbae-lang") === "en" ? "en" : "ko",
  questions: [],      // the bank's entries for the current filter
  picked: null,       // the bank entry the question box holds, until the text is edited
  controller: null,   // aborts the stream in flight
  lastResult: null,
  bankStatus: null,
  bankLoads: 0,       // only the latest filter's answer is applied, whatever order answers come in   // (T) => the line under the bank select, redrawn in the other language
};

function option(value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  return o;
}

function fillSelect(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map(([v, text]) => option(v, text)));
  if (options.some(([v]) => v === keep)) select.value = keep;
}

function applyLanguage() {
  const T = t(state.lang);
  document.documentElement.lang = state.lang;
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = T[e.dataset.i18n];
  for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = T[e.dataset.i18nPlaceholder];
  for (const b of document.querySelectorAll(".lang button")) b.setAttribute("aria-pressed", b.dataset.lang === state.lang);
  document.title = `Sunbae — ${T.tagline}`;
  fillSelect($("category"), [["", T.allCategories], ...CATEGORIES.map((c) => [c, T.categories[c]])]);
  fillSelect($("level"), [["junior", T.junior], ["senior", T.senior]]);
  fillBank();
  setBankStatus(state.bankStatus);
  if (state.picked) $("question").value = state.picked.question[state.lang];
  updateCount();
  if (state.lastResult) renderResult(state.lastResult);
}

function fillBank() {
  const T = t(state.lang);
  fillSelect($("bank"), [["", T.typeOwn], ...state.questions.map((q) => [q.id, `${q.id} · ${q.question[state.lang]}`])]);
}

function setBankStatus(fn) {
  state.bankStatus = fn;
  $("bank-status").textContent = fn ? fn(t(state.lang)) : "";
}

async function loadBank() {
  const params = new URLSearchParams({level: $("level").value});
  if ($("category").value) params.set("category", $("category").value);
  const load = ++state.bankLoads;
  setBankStatus((T) => T.loadingBank);
  try {
    const questions = (await getJson("/v1/questions?" + params)).data;
    if (load !== state.bankLoads) return;
    state.questions = questions;
    setBankStatus((T) => T.bankCount(questions.length));
  } catch (e) {
    if (load !== state.bankLoads) return;
    state.questions = [];
    if (e.status === 401) showAuth();
    setBankStatus((T) => T.bankUnavailable(e.message));
  }
  fillBank();
  if (state.picked && !state.questions.some((q) => q.id === state.picked.id)) state.picked = null;
  $("bank").value = state.picked ? state.picked.id : "";
}

function pickQuestion() {
  state.picked = state.questions.find((q) => q.id === $("bank").value) || null;
  if (state.picked) $("question").value = state.picked.question[state.lang];
}

function showAuth() {
  $("auth").hidden = false;
}

function updateCount() {
  const n = $("answer").value.length;
  $("count").textContent = t(state.lang).chars(n, MAX_ANSWER);
  $("count").classList.toggle("over", n > MAX_ANSWER);
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function listInto(id, items) {
  $(id).replaceChildren(...items.map((s) => {
    const li = document.createElement("li");
    li.textContent = s;
    return li;
  }));
}

function renderResult(r) {
  const T = t(state.lang), f = r.feedback;
  const keys = CRITERIA.filter((k) => f.criteria[k]);
  $("overall-score").textContent = `${f.overall.score} / 5`;
  $("overall-score").className = `badge s${f.overall.score}`;
  $("overall-summary").textContent = f.overall.summary;
  const rows = keys.map((k) => ({key: k, label: T.labels[k], score: f.criteria[k].score}));
  rows.push({key: "overall", label: T.overall, score: f.overall.score});
  $("chart").replaceChildren(scoreChart(rows, T.resultTitle));
  $("reasons").replaceChildren(...keys.map((k) => {
    const li = document.createElement("li");
    const b = document.createElement("b");
    b.textContent = `${T.labels[k]} ${f.criteria[k].score}/5`;
    li.append(b, " ", f.criteria[k].reason);
    return li;
  }));
  listInto("strengths", f.strengths);
  listInto("improvements", f.improvements);
  listInto("missing", f.missing_key_points);
  $("model-answer").textContent = f.model_answer;
  $("follow-up").textContent = f.follow_up_question;
  $("meta").textContent = T.meta(r);
  $("result").hidden = false;
}

function request() {
  const body = {question: $("question").value, answer: $("answer").value, language: state.lang,
                level: $("level").value, stream: true};
  if (state.picked) {
    body.question_id = state.picked.id;
    body.category = state.picked.category;
  } else if ($("category").value) {
    body.category = $("category").value;
  }
  return body;
}

async function submit() {
  const T = t(state.lang);
  state.controller?.abort();
  const controller = (state.controller = new AbortController());
  $("error").hidden = true;
  $("result").hidden = true;
  state.lastResult = null;
  $("stream").textContent = "";
  $("raw-result").textContent = "";
  $("stream-card").hidden = false;
  $("submit").disabled = true;
  $("stop").hidden = false;
  const t0 = performance.now(), seconds = () => (performance.now() - t0) / 1000;
  let got = false;
  $("status").textContent = T.generating(0, 0);
  try {
    await postStream("/v1/feedback", request(), controller.signal, (ev, raw) => {
      if (ev.type === "delta") {
        $("stream").append(ev.text);
        $("status").textContent = t(state.lang).generating($("stream").textContent.length, seconds());
      } else if (ev.type === "result") {
        got = true;
        state.lastResult = ev;
        $("raw-result").textContent = raw;
        renderResult(ev);
      } else if (ev.type === "error") {
        got = true;
        showError(ev.error.message);
      }
    });
    $("status").textContent = t(state.lang).done(seconds());
    if (!got) showError(T.noResult);
  } catch (e) {
    $("status").textContent = "";
    if (e.name === "AbortError") {
      $("status").textContent = T.stopped;
    } else if (e instanceof ApiError) {
      if (e.status === 401) {
        showAuth();
        showError(`${e.message} — ${T.needKey}`);
      } else {
        showError(e.message);
      }
    } else {
      showError(T.network(e.message));
    }
  } finally {
    if (state.controller === controller) {
      state.controller = null;
      $("submit").disabled = false;
      $("stop").hidden = true;
    }
  }
}

async function probeAuth() {
  // /v1/models is cheap and always there: a 401 says this server wants a key.
  try {
    await getJson("/v1/models");
  } catch (e) {
    if (e.status === 401) showAuth();
  }
}

function init() {
  $("api-key").value = sessionStorage.getItem("sunbae-api-key") || "";
  applyLanguage();
  for (const b of document.querySelectorAll(".lang button")) {
    b.addEventListener("click", () => {
      state.lang = b.dataset.lang;
      localStorage.setItem("sunbae-lang", state.lang);
      applyLanguage();
    });
  }
  $("api-key").addEventListener("change", () => {
    setApiKey($("api-key").value.trim());
    loadBank();
  });
  $("category").addEventListener("change", loadBank);
  $("level").addEventListener("change", loadBank);
  $("bank").addEventListener("change", pickQuestion);
  $("question").addEventListener("input", () => {
    // An edited question is the user's own: send its text, not the bank entry's id and key points.
    if (state.picked && $("question").value !== state.picked.question[state.lang]) {
      state.picked = null;
      $("bank").value = "";
    }
  });
  $("answer").addEventListener("input", updateCount);
  $("answer").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !$("submit").disabled) submit();
  });
  $("submit").addEventListener("click", submit);
  $("stop").addEventListener("click", () => state.controller?.abort());
  probeAuth().then(loadBank);
}

init();
