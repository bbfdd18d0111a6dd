// The scores as an inline SVG bar chart: one bar per criterion on the 1–5 scale, then the overall
// score. Built with DOM calls (no markup strings), so text from the model is never parsed as HTML.

const SVG = "http://www.w3.org/2000/svg";
const ROW = 30, LABEL_W = 120, TRACK_W = 250, SCORE_W = 40, MAX = 5;

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// rows: [{key, label, score}], the overall one with key "overall".
export function scoreChart(rows, title) {
  const width = LABEL_W + TRACK_W + SCORE_W, height = rows.length * ROW + 18;
  const svg = el("svg", {viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart"});
  svg.append(el("title", {}, title));
  // Grid lines at each whole score, with their numbers along the bottom.
  for (let s = 0; s <= MAX; s++) {
    const x = LABEL_W + (TRACK_W * s) / MAX;
    svg.append(el("line", {x1: x, x2: x, y1: 0, y2: rows.length * ROW, class: "grid"}));
    svg.append(el("text", {x, y: height - 4, class: "tick", "text-anchor": "middle"}, s));
  }
  rows.forEach((r, i) => {
    const y = i * ROW;
    const g = el("g", {class: `bar s${r.score}` + (r.key === "overall" ? " overall" : ""),
                       "data-criterion": r.key, "data-score": r.score});
    g.append(el("text", {x: LABEL_W - 8, y: y + ROW / 2 + 5, "text-anchor": "end", class: "label"}, r.label));
    g.append(el("rect", {x: LABEL_W, y: y + 6, width: TRACK_W, height: ROW - 12, rx: 4, class: "track"}));
    g.append(el("rect", {x: LABEL_W, y: y + 6, width: (TRACK_W * r.score) / MAX, height: ROW - 12, rx: 4,
                         class: "fill"}));
    g.append(el("text", {x: LABEL_W + TRACK_W + 8, y: y + ROW / 2 + 5, class: "score"}, r.score));
    svg.append(g);
  });
  return svg;
}
