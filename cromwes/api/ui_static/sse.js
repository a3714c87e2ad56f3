// Server-sent events over fetch(): EventSource cannot send an Authorization header, and a bearer
// token must go with every request. It reconnects as EventSource does, sending Last-Event-ID so
// the server resumes without repeating; a 204 means there is nothing more to come.

import { apiError, headers, token } from "./api.js";

const RETRY_MS = 2000;

export function subscribe(url, { onEvent, onOpen = () => {}, onError = () => {}, onEnd = () => {} }) {
  const controller = new AbortController();
  let lastId = null;
  let stopped = false;

  const stop = () => {
    stopped = true;
    controller.abort();
  };

  (async () => {
    while (!stopped) {
      let response;
      const sent = token();
      try {
        const extra = { Accept: "text/event-stream" };
        if (lastId) extra["Last-Event-ID"] = lastId;
        response = await fetch(url, { headers: headers(extra), credentials: "same-origin", signal: controller.signal });
      } catch (error) {
        if (stopped) return;
        onError(error);
        await pause(RETRY_MS, controller.signal);
        continue;
      }
      if (response.status === 204) {
        onEnd();
        return;
      }
      if (!response.ok) {
        const error = await apiError(response, sent);
        onError(error);
        if (response.status < 500) return; // credentials, rights or the run itself: retrying will not help
        await pause(RETRY_MS, controller.signal);
        continue;
      }
      onOpen();
      try {
        await read(response.body, (event) => {
          if (event.id !== null) lastId = event.id;
          onEvent(event);
        });
      } catch (error) {
        if (stopped) return;
        onError(error);
      }
      if (!stopped) await pause(RETRY_MS / 4, controller.signal);
    }
  })();

  return { close: stop };
}

function pause(milliseconds, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// The text/event-stream format (HTML Living Standard, "Interpreting an event stream").
async function read(body, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { type: "message", data: [], id: null };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (;;) {
      const end = buffer.search(/[\r\n]/);
      if (end < 0 || (buffer[end] === "\r" && end === buffer.length - 1)) break;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
      if (line === "") {
        if (event.data.length) {
          dispatch({ type: event.type, id: event.id, data: JSON.parse(event.data.join("\n")) });
        }
        event = { type: "message", data: [], id: null };
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "data") event.data.push(text);
        else if (field === "event") event.type = text;
        else if (field === "id") event.id = text;
      }
    }
  }
}
