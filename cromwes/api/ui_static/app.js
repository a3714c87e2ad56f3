// The dashboard: two pages chosen by the URL's fragment (#/ and #/runs/<id>), so every link and
// call stays relative to /ui/ and the gateway serves one page.

import { ApiError, setToken, token } from "./api.js";
import { h, replace } from "./dom.js";
import { runPage } from "./run.js";
import { runsPage } from "./runs.js";

const main = document.getElementById("main");
const notice = document.getElementById("notice");
const liveBadge = document.getElementById("live");
const signOutButton = document.getElementById("sign-out");
let leave = () => {};

function live(on) {
  liveBadge.textContent = on ? "live" : "offline";
  liveBadge.classList.toggle("on", on);
}

function warn(error) {
  if (error instanceof ApiError) fail(error);
}

function fail(error) {
  if (error instanceof ApiError && error.wantsToken) return askForToken(error);
  if (error instanceof ApiError && error.status === 401) {
    // Basic auth: the browser asks for the user name and password itself, on a reload.
    return show(`Sign-in needed: ${error.message} Reload the page to sign in.`);
  }
  show(error instanceof Error ? error.message : String(error));
}

function show(message) {
  notice.hidden = false;
  replace(notice, message, " ", h("button", { type: "button", onclick: () => { notice.hidden = true; } }, "Dismiss"));
}

// A page is drawn with its own context: leaving it aborts every call it has under way, and
// nothing it still reports afterwards (a late answer, that abort) reaches the page after it.
// Without this, a page left half-way through would go on calling the API with whatever token
// is current by then, the next user's included.
function open(draw) {
  const controller = new AbortController();
  const { signal } = controller;
  const whileShown = (report) => (value) => { if (!signal.aborted) report(value); };
  const close = draw({ signal, live: whileShown(live), warn: whileShown(warn), fail: whileShown(fail) });
  return () => {
    close();
    controller.abort();
  };
}

function askForToken(error) {
  // Each page makes several calls at once: only the first refusal of the token in use counts
  // (a late one of a token already dropped or replaced must not undo the user's new one).
  if (error.sentToken !== token() || document.getElementById("token")) return;
  // Kept, a refused token would be sent again, and refused again, on every reload.
  setToken(null);
  signInForm(error.sentToken ? `That token was refused: ${error.message}` : null);
}

function signOut() {
  setToken(null);
  // The next user starts from the runs list, with none of this one's run ids or tags in the URL.
  history.replaceState(null, "", "#/");
  signInForm(null);
}

function signInForm(refusal) {
  leave();
  leave = () => {};
  replace(notice);
  notice.hidden = true;
  signOutButton.hidden = true;
  const input = h("input", { type: "password", id: "token", autocomplete: "off", placeholder: "eyJ…" });
  replace(main, h("section", { class: "card narrow" },
    h("h1", {}, "Sign in"),
    h("p", {}, "This service wants a bearer token (OAuth2 or Passport). Paste one; it is kept in this tab only."),
    refusal ? h("p", { id: "token-error", class: "error", role: "alert" }, refusal) : null,
    h("form", { onsubmit: (event) => { event.preventDefault(); setToken(input.value.trim()); route(); } },
      input, h("button", { type: "submit" }, "Use token"))));
}

function route() {
  leave();
  notice.hidden = true;
  // Only a pasted token can be dropped: basic credentials are the browser's until it closes.
  signOutButton.hidden = !token();
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const run = /^\/runs\/([^/]+)$/.exec(path || "/");
  leave = open((context) => (run ? runPage(main, decodeURIComponent(run[1]), context) : runsPage(main, params, context)));
}

signOutButton.addEventListener("click", signOut);
window.addEventListener("hashchange", route);
route();
