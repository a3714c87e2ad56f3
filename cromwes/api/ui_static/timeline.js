// The timeline: one bar per task attempt from its start to its end (or to now while it runs),
// coloured by state, over the run's time from its start, as in Cromwell's timing diagram. Drawn
// as SVG; redrawn as the run goes on.

import { svg } from "./dom.js";

const ROW = 22;
const LABEL = 260;
const AXIS = 26;
const WIDTH = 1000;

export function timeline(tasks, runStart, now = Date.now()) {
  const bars = tasks
    .filter((task) => task.start_time)
    .map((task) => ({
      task,
      from: new Date(task.start_time).getTime(),
      to: task.end_time ? new Date(task.end_time).getTime() : now,
    }));
  const height = AXIS + Math.max(bars.length, 1) * ROW + 8;
  const chart = svg("svg", {
    class: "timeline", id: "timeline", viewBox: `0 0 ${WIDTH} ${height}`, width: "100%",
    role: "img", "aria-label": "Task timeline",
  });
  if (!bars.length) {
    chart.append(svg("text", { x: 8, y: AXIS + 14, class: "timeline-empty" }, "No task has started yet."));
    return chart;
  }
  const origin = runStart ? new Date(runStart).getTime() : NaN;
  const start = Math.min(...bars.map((bar) => bar.from), Number.isNaN(origin) ? Infinity : origin);
  const end = Math.max(...bars.map((bar) => bar.to), start + 200);
  const span = end - start;
  const plot = WIDTH - LABEL - 12;
  const x = (time) => LABEL + ((time - start) / span) * plot;

  for (const tick of ticks(span)) {
    chart.append(
      svg("line", { x1: x(start + tick), x2: x(start + tick), y1: AXIS - 6, y2: height, class: "timeline-grid" }),
      svg("text", { x: x(start + tick), y: AXIS - 10, class: "timeline-tick" }, label(tick)));
  }
  bars.forEach(({ task, from, to }, index) => {
    const y = AXIS + index * ROW;
    const name = `${task.name}${task.attempt > 1 ? ` (attempt ${task.attempt})` : ""}`;
    const bar = svg("rect", {
      x: x(from), y: y + 3, width: Math.max(x(to) - x(from), 2), height: ROW - 6, rx: 3,
      class: `bar bar-${task.state.toLowerCase()}`, "data-task-id": task.id, "data-ms": to - from,
    }, svg("title", {}, `${name}: ${task.state}, ${label(to - from)}`));
    chart.append(svg("text", { x: LABEL - 8, y: y + ROW / 2 + 4, class: "timeline-label" }, clip(name)), bar);
  });
  return chart;
}

function ticks(span) {
  const steps = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
    21600, 43200, 86400].map((s) => s * 1000);
  const step = steps.find((candidate) => span / candidate <= 8) || steps.at(-1);
  const all = [];
  for (let at = 0; at <= span; at += step) all.push(at);
  return all;
}

function label(milliseconds) {
  if (milliseconds < 1000) return `${Math.round(milliseconds)}ms`;
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? ` ${seconds % 60}s` : ""}`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60) ? ` ${Math.floor((seconds % 3600) / 60)}m` : ""}`;
}

function clip(text) {
  return text.length > 38 ? `…${text.slice(-37)}` : text;
}
