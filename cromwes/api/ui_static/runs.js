// The runs page: GET /runs with its filters and paging, kept live by GET /events.

import { apiUrl, getJson } from "./api.js";
import { duration, formatDuration, formatTime, h, replace, stateBadge, TERMINAL } from "./dom.js";
import { subscribe } from "./sse.js";

const STATES = ["QUEUED", "INITIALIZING", "RUNNING", "PAUSED", "CANCELING", "COMPLETE",
  "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED", "PREEMPTED", "UNKNOWN"];
const PAGE_SIZE = 20;

export function runsPage(main, query, context) {
  const filters = { state: query.get("state") || "", tag: query.get("tag") || "" };
  const tokens = [""]; // the page token of each page shown so far; the last is the current one
  const rows = new Map(); // run id -> {summary, row}
  let next = "";
  const body = h("tbody");
  const pager = h("div", { class: "pager" });
  const status = h("p", { class: "muted", id: "runs-status" }, "Loading…");

  const stateSelect = h("select", { name: "state", id: "filter-state" },
    h("option", { value: "" }, "any state"),
    STATES.map((state) => h("option", { value: state, selected: state === filters.state }, state)));
  const tagInput = h("input", { name: "tag", id: "filter-tag", placeholder: "tag key:value", value: filters.tag });
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (stateSelect.value) params.set("state", stateSelect.value);
    if (tagInput.value.trim()) params.set("tag", tagInput.value.trim());
    location.hash = `#/?${params}`;
  } }, h("label", {}, "State ", stateSelect), h("label", {}, "Tag ", tagInput),
  h("button", { type: "submit" }, "Filter"));

  replace(main,
    h("section", { class: "card" },
      h("div", { class: "card-head" }, h("h1", {}, "Workflow runs"), form),
      h("table", { class: "runs", id: "runs" },
        h("thead", {}, h("tr", {}, ["Run", "Name", "State", "Tags", "Submitted", "Duration"].map((c) => h("th", {}, c)))),
        body),
      status, pager));

  const params = () => ({ state: filters.state, tag: filters.tag });

  async function load() {
    const page = await getJson("runs", { ...params(), page_size: PAGE_SIZE, page_token: tokens.at(-1) }, { signal: context.signal });
    rows.clear();
    replace(body);
    for (const summary of page.runs) body.append(remember(summary));
    next = page.next_page_token;
    replace(status, page.runs.length ? "" : "No runs match.");
    drawPager();
  }

  function remember(summary) {
    const row = h("tr", { "data-run-id": summary.run_id });
    rows.set(summary.run_id, { summary, row });
    draw(summary, row);
    return row;
  }

  function draw(summary, row) {
    const tags = Object.entries(summary.tags || {}).map(([key, value]) => h("span", { class: "tag" }, `${key}: ${value}`));
    replace(row,
      h("td", { class: "mono" }, h("a", { href: `./#/runs/${encodeURIComponent(summary.run_id)}` }, summary.run_id)),
      h("td", {}, summary.name || "—"),
      h("td", {}, stateBadge(summary.state)),
      h("td", {}, tags),
      h("td", {}, formatTime(summary.submitted_time)),
      h("td", { class: "duration" }, formatDuration(duration(summary.start_time, summary.end_time))));
  }

  function drawPager() {
    replace(pager,
      h("button", { type: "button", id: "newer", disabled: tokens.length === 1, onclick: () => { tokens.pop(); guarded(load); } }, "← Newer"),
      h("span", { class: "muted" }, `Page ${tokens.length}`),
      h("button", { type: "button", id: "older", disabled: !next, onclick: () => { tokens.push(next); guarded(load); } }, "Older →"));
  }

  function onEvent(event) {
    const change = event.data;
    const known = rows.get(change.run_id);
    const summary = { ...(known ? known.summary : { tags: {} }), ...change };
    if (known) {
      known.summary = summary;
      draw(summary, known.row);
    } else if (tokens.length === 1 && (!filters.state || filters.state === change.state)) {
      // A run new to this page: the newest come first.
      body.prepend(remember(summary));
      replace(status, "");
      while (body.children.length > PAGE_SIZE) {
        const last = body.lastElementChild;
        rows.delete(last.dataset.runId);
        last.remove();
      }
    }
  }

  const guarded = (action) => action().catch(context.fail);
  const ticker = setInterval(() => {
    for (const { summary, row } of rows.values()) {
      if (!TERMINAL.has(summary.state) && summary.start_time) {
        row.querySelector(".duration").textContent = formatDuration(duration(summary.start_time, summary.end_time));
      }
    }
  }, 1000);

  guarded(load);
  // Only tags go to the stream: a run leaving the state filter still has its row updated.
  const stream = subscribe(apiUrl("events", { tag: filters.tag }), {
    onEvent,
    // Runs submitted between the first page and the stream's start are in a fresh first page.
    onOpen: () => { context.live(true); if (tokens.length === 1) guarded(load); },
    onError: (error) => { context.live(false); context.warn(error); },
  });
  return () => { clearInterval(ticker); stream.close(); context.live(false); };
}

