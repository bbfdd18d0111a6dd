// The page's calls to the server: the Bearer key when one is set, the API's error message out of
// its {"error": {"message"}} body, and the feedback stream's server-sent events.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let apiKey = sessionStorage.getItem("sunbae-api-key") || "";

export function setApiKey(key) {
  apiKey = key;
  sessionStorage.setItem("sunbae-api-key", key);
}

function headers(json) {
  const h = {};
  if (apiKey) h.Authorization = "Bearer " + apiKey;
  if (json) h["Content-Type"] = "application/json";
  return h;
}

async function errorOf(res) {
  const text = await res.text();
  try {
    const msg = JSON.parse(text).error.message;
    if (msg) return new ApiError(res.status, msg);
  } catch (_) {
    // not the API's error shape (a proxy's page, say): the status line is all that is worth showing
  }
  return new ApiError(res.status, `${res.status} ${res.statusText}`.trim());
}

export async function getJson(path) {
  const res = await fetch(path, {headers: headers(false)});
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

// POSTs a streaming request and calls onEvent with each parsed `data:` event until [DONE].
// Comments (keep-alives) are skipped. Throws ApiError for a non-2xx answer.
export async function postStream(path, body, signal, onEvent) {
  const res = await fetch(path, {method: "POST", headers: headers(true), body: JSON.stringify(body), signal});
  if (!res.ok) throw await errorOf(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      onEvent(JSON.parse(data), data);
    }
  }
}
