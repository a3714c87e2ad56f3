// The run page: the run log, its tasks and timeline kept live by the run's event stream, a log
// tail of a chosen task (?follow=true) and a cancel button.

import { apiUrl, getJson, headers, post, runPath, taskLogPath, apiError, token } from "./api.js";
import { duration, formatDuration, formatTime, h, replace, stateBadge, TERMINAL } from "./dom.js";
import { subscribe } from "./sse.js";
import { timeline } from "./timeline.js";

// Until the event stream has told a task's state: the gateway's reading of Cromwell's words
// (cromwes/translate/attempts.py), of which this is a copy; the events' state wins.
const TASK_STATES = {
  NotStarted: "QUEUED", WaitingForQueueSpace: "QUEUED", QueuedInCromwell: "QUEUED", Starting: "QUEUED",
  Running: "RUNNING", Aborting: "CANCELING", Done: "COMPLETE", Bypassed: "COMPLETE",
  Failed: "EXECUTOR_ERROR", RetryableFailure: "EXECUTOR_ERROR", Aborted: "CANCELED", Unstartable: "SYSTEM_ERROR",
  Preempted: "PREEMPTED",
};

function stateFromLog(systemLogs) {
  const said = (key) => systemLogs.find((line) => line.startsWith(`${key}: `))?.slice(key.length + 2);
  const state = TASK_STATES[said("executionStatus")];
  return state === "EXECUTOR_ERROR" && said("backendStatus") === "Preempted" ? "PREEMPTED" : state;
}

const CANCELLABLE = new Set(["QUEUED", "INITIALIZING", "RUNNING", "PAUSED"]);
const RANK = { QUEUED: 0, PAUSED: 0, INITIALIZING: 1, RUNNING: 2, CANCELING: 3 };

// The run log (cached for a moment) and the event stream may disagree for a moment: a run only
// moves forward, so the later state of the two is the current one.
function later(one, other) {
  const rank = (state) => (state ? RANK[state] ?? 4 : -1);
  return rank(other) >= rank(one) ? other : one;
}

export function runPage(main, runId, context) {
  let runLog = null;
  let state = null;
  let tasks = [];
  const taskEvents = new Map(); // task id -> the latest task event's data
  let refreshTimer = null;
  let tail = null;

  const title = h("h1", {}, runId);
  const subtitle = h("p", { class: "mono muted subtitle" }, runId);
  const badge = h("span", { id: "run-state" });
  const cancel = h("button", { type: "button", id: "cancel", class: "danger", hidden: true, onclick: onCancel }, "Cancel run");
  const facts = h("dl", { class: "facts" });
  const tags = h("div", { id: "tags" });
  const inputs = h("pre", { id: "inputs", class: "json" });
  const outputs = h("pre", { id: "outputs", class: "json" });
  const failures = h("div", { id: "failures" }, h("p", { class: "muted" }, "None so far."));
  const chart = h("div", { class: "chart" });
  const taskBody = h("tbody");
  const tailSelect = h("select", { id: "tail-task", "aria-label": "Task" });
  const tailStream = h("select", { id: "tail-stream", "aria-label": "Stream" }, h("option", {}, "stdout"), h("option", {}, "stderr"));
  const tailText = h("pre", { id: "tail", class: "log" });

  replace(main,
    h("p", {}, h("a", { href: "./#/" }, "← All runs")),
    h("section", { class: "card" },
      h("div", { class: "card-head" }, h("div", {}, h("div", { class: "title" }, title, badge), subtitle), cancel), facts),
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Tags"), tags),
      h("section", { class: "card" }, h("h2", {}, "Failures"), failures)),
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Inputs"), inputs),
      h("section", { class: "card" }, h("h2", {}, "Outputs"), outputs)),
    h("section", { class: "card" }, h("h2", {}, "Timeline"), chart),
    h("section", { class: "card" }, h("h2", {}, "Tasks"),
      h("table", { class: "tasks", id: "tasks" },
        h("thead", {}, h("tr", {}, ["Task", "Shard", "Attempt", "State", "Exit code", "Start", "End", "Duration", "Logs"].map((c) => h("th", {}, c)))),
        taskBody)),
    h("section", { class: "card" },
      h("div", { class: "card-head" }, h("h2", {}, "Log tail"),
        h("div", { class: "filters" }, tailSelect, tailStream,
          h("button", { type: "button", id: "tail-start", onclick: startTail }, "Follow"))),
      tailText));

  async function refresh() {
    runLog = await getJson(runPath(runId), {}, { signal: context.signal });
    state = later(state, runLog.state);
    tasks = runLog.task_logs ?? await allTasks();
    draw();
    if (TERMINAL.has(runLog.state)) {
      await drawFailures();
    } else {
      // Cromwell reports failures once a run has ended; until then, only the gateway's notes.
      const notes = runLog.run_log?.system_logs || [];
      replace(failures, h("p", { class: "muted" }, notes.length ? notes.join(" ") : "None so far."));
    }
  }

  async function allTasks() {
    const all = [];
    let token = "";
    do {
      const page = await getJson(runPath(runId, "tasks"), { page_size: 1000, page_token: token }, { signal: context.signal });
      all.push(...page.task_logs);
      token = page.next_page_token;
    } while (token);
    return all;
  }

  function draw() {
    const log = runLog.run_log || {};
    const request = runLog.request || {};
    title.textContent = log.name || "Run";
    replace(badge, stateBadge(state));
    cancel.hidden = !CANCELLABLE.has(state);
    replace(facts,
      fact("Workflow", request.workflow_url || "—"),
      fact("Type", request.workflow_type ? `${request.workflow_type} ${request.workflow_type_version}` : "—"),
      fact("Started", formatTime(log.start_time)),
      fact("Ended", formatTime(log.end_time)),
      fact("Duration", formatDuration(duration(log.start_time, log.end_time))));
    const tagEntries = Object.entries(request.tags || {});
    replace(tags, tagEntries.length ? tagEntries.map(([key, value]) => h("span", { class: "tag" }, `${key}: ${value}`)) : h("p", { class: "muted" }, "None."));
    inputs.textContent = JSON.stringify(request.workflow_params ?? {}, null, 2);
    outputs.textContent = JSON.stringify(runLog.outputs ?? {}, null, 2);
    drawTasks();
  }

  function fact(name, value) {
    return [h("dt", {}, name), h("dd", {}, value)];
  }

  function taskViews() {
    return tasks.map((task) => {
      const event = taskEvents.get(task.id);
      const place = /(?::(\d+))?@(\d+)$/.exec(task.id) || [];
      const fromLog = stateFromLog(task.system_logs || []);
      return {
        ...task,
        shard: event?.shard ?? (place[1] !== undefined ? Number(place[1]) : null),
        attempt: event?.attempt ?? (place[2] !== undefined ? Number(place[2]) : 1),
        state: (event?.change === "ended" ? event.state : fromLog) || event?.state || "QUEUED",
        start_time: task.start_time || event?.start_time,
        end_time: task.end_time || event?.end_time,
      };
    });
  }

  function drawTasks() {
    const views = taskViews();
    replace(chart, timeline(views, runLog.run_log?.start_time));
    replace(taskBody, views.map((task) => h("tr", { "data-task-id": task.id },
      h("td", { class: "mono" }, task.name),
      h("td", {}, task.shard ?? "—"),
      h("td", {}, task.attempt),
      h("td", {}, stateBadge(task.state)),
      h("td", {}, task.exit_code ?? "—"),
      h("td", {}, formatTime(task.start_time)),
      h("td", {}, formatTime(task.end_time)),
      h("td", {}, formatDuration(duration(task.start_time, task.end_time))),
      h("td", { class: "links" },
        task.stdout ? h("a", { href: apiUrl(taskLogPath(runId, task.id, "stdout")), target: "_blank", rel: "noopener" }, "stdout") : null,
        task.stderr ? h("a", { href: apiUrl(taskLogPath(runId, task.id, "stderr")), target: "_blank", rel: "noopener" }, "stderr") : null,
        task.stdout ? h("button", { type: "button", class: "link", onclick: () => follow(task.id) }, "tail") : null))));
    const chosen = tailSelect.value;
    replace(tailSelect, views.map((task) => h("option", { value: task.id, selected: task.id === chosen }, task.id)));
  }

  async function drawFailures() {
    const sent = token();
    const response = await fetch(apiUrl(runPath(runId, "logs", "stderr")), { headers: headers({ Accept: "application/json" }), credentials: "same-origin", signal: context.signal });
    if (!response.ok) throw await apiError(response, sent);
    const messages = [];
    const walk = (items) => { for (const failure of items || []) { if (failure.message) messages.push(failure.message); walk(failure.causedBy); } };
    walk(await response.json());
    const notes = (runLog.run_log?.system_logs || []).filter((line) => !messages.includes(line));
    const all = [...new Set([...messages, ...notes])];
    replace(failures, all.length ? h("ul", { class: "failures" }, all.map((message) => h("li", {}, message))) : h("p", { class: "muted" }, "None."));
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => refresh().catch(context.fail), 500);
  }

  async function onCancel() {
    cancel.disabled = true;
    try {
      await post(runPath(runId, "cancel"));
    } catch (error) {
      context.fail(error);
    } finally {
      cancel.disabled = false;
    }
  }

  function follow(taskId) {
    tailSelect.value = taskId;
    tailStream.value = "stdout";
    startTail();
    tailText.scrollIntoView({ block: "nearest" });
  }

  async function startTail() {
    if (tail) tail.abort();
    const controller = new AbortController();
    tail = controller;
    tailText.textContent = "";
    const url = apiUrl(taskLogPath(runId, tailSelect.value, tailStream.value), { follow: "true" });
    const sent = token();
    try {
      const response = await fetch(url, { headers: headers(), credentials: "same-origin", signal: controller.signal });
      if (!response.ok) throw await apiError(response, sent);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        tailText.append(value);
        tailText.scrollTop = tailText.scrollHeight;
      }
    } catch (error) {
      if (!controller.signal.aborted) context.fail(error);
    }
  }

  const stream = subscribe(apiUrl(runPath(runId, "events"), { history: "true" }), {
    onOpen: () => context.live(true),
    onEvent: (event) => {
      if (event.type === "state") {
        state = later(state, event.data.state);
        if (runLog) draw();
      } else if (event.type === "task") {
        taskEvents.set(event.data.task_id, event.data);
        if (runLog) drawTasks();
      }
      scheduleRefresh();
    },
    onEnd: () => context.live(false),
    onError: (error) => { context.live(false); context.warn(error); },
  });
  // Running bars grow with the clock.
  const ticker = setInterval(() => { if (runLog && !TERMINAL.has(state)) draw(); }, 1000);
  refresh().catch(context.fail);

  return () => {
    stream.close();
    clearInterval(ticker);
    clearTimeout(refreshTimer);
    if (tail) tail.abort();
    context.live(false);
  };
}
