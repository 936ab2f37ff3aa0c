// newswire's own page script: local times, and the runs page's live table and writes.
// No inline script, no innerHTML: every value from the server goes in as text.
"use strict";

const LOCAL = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  timeZoneName: "short",
});

// A <time datetime> shows the reader's local time; its title keeps the UTC text.
function localTimes(root) {
  for (const node of root.querySelectorAll("time[datetime]")) {
    const moment = new Date(node.getAttribute("datetime"));
    if (!Number.isNaN(moment.getTime())) node.textContent = LOCAL.format(moment);
  }
}

function utcText(iso) {
  return iso.slice(0, 16).replace("T", " ") + " UTC";
}

function timeCell(iso) {
  const cell = document.createElement("td");
  if (!iso) {
    cell.textContent = "–";
    return cell;
  }
  const node = document.createElement("time");
  node.setAttribute("datetime", iso);
  node.title = utcText(new Date(iso).toISOString());
  node.textContent = LOCAL.format(new Date(iso));
  cell.append(node);
  return cell;
}

function textCell(text) {
  const cell = document.createElement("td");
  cell.textContent = text;
  return cell;
}

// ---------------------------------------------------------------- the runs page

const TOKEN_KEY = "newswire-api-token";

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function say(message, isError) {
  const line = document.getElementById("status-line");
  line.textContent = message;
  line.classList.toggle("error", Boolean(isError));
}

async function write(url) {
  if (!token()) {
    say("Enter the API token first.", true);
    return null;
  }
  const response = await fetch(url, {
    method: "POST",
    headers: { Authorization: "Bearer " + token() },
    credentials: "omit",
  });
  let body = {};
  try {
    body = await response.json();
  } catch (error) {
    body = { error: "the server answered " + response.status };
  }
  if (!response.ok) {
    say(body.error || "the server answered " + response.status, true);
    return null;
  }
  return body;
}

function runRow(run) {
  const row = document.createElement("tr");
  row.dataset.run = String(run.id);
  row.dataset.status = run.status;
  row.append(textCell(String(run.id)));
  const source = document.createElement("td");
  const link = document.createElement("a");
  link.href = "/outlets/" + encodeURIComponent(run.source);
  link.textContent = run.source;
  source.append(link);
  row.append(source, textCell(run.trigger));
  const status = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = "state " + run.status;
  badge.textContent = run.status;
  status.append(badge);
  row.append(status, timeCell(run.queued_at), timeCell(run.started_at));
  const seconds = run.started_at && run.finished_at
    ? ((new Date(run.finished_at) - new Date(run.started_at)) / 1000).toFixed(1) + " s" : "–";
  const stored = run.stats && run.stats.articles_stored !== undefined
    ? String(run.stats.articles_stored) : "–";
  row.append(textCell(seconds), textCell(stored));
  const error = textCell((run.error || "").slice(0, 160));
  error.className = "error-cell";
  row.append(error);
  const actions = document.createElement("td");
  if (run.status === "queued" || run.status === "running") {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "cancel";
    button.dataset.run = String(run.id);
    button.textContent = "Cancel run " + run.id;
    actions.append(button);
  }
  row.append(actions);
  return row;
}

async function refreshRuns(table) {
  try {
    const response = await fetch("/runs?limit=" + table.dataset.limit, { credentials: "omit" });
    if (!response.ok) return;
    const body = await response.json();
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.run : undefined;
    const rows = body.items.map(runRow);
    table.tBodies[0].replaceChildren(...rows);
    if (focused) {
      const again = table.querySelector('button.cancel[data-run="' + focused + '"]');
      if (again) again.focus();
    }
    const none = document.getElementById("no-runs");
    if (none) none.hidden = rows.length > 0;
    document.getElementById("live-note").textContent =
      "(live, updated " + new Date().toLocaleTimeString() + ")";
  } catch (error) {
    document.getElementById("live-note").textContent = "(live updates paused: server unreachable)";
  }
}

function runsPage(table) {
  for (const node of document.querySelectorAll(".needs-js")) node.hidden = false;
  const field = document.getElementById("token");
  field.value = token();
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, field.value.trim());
    say(field.value.trim() ? "Token kept for this tab." : "Token cleared.");
  });
  document.getElementById("token-forget").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    field.value = "";
    say("Token forgotten.");
  });
  document.getElementById("trigger-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = document.getElementById("trigger-source").value;
    const body = await write("/sources/" + encodeURIComponent(name) + "/crawl");
    if (body) say("Queued run " + body.run_id + " of " + body.source + ".");
    refreshRuns(table);
  });
  table.addEventListener("click", async (event) => {
    const button = event.target.closest("button.cancel");
    if (!button) return;
    const body = await write("/runs/" + button.dataset.run + "/cancel");
    if (body) say("Run " + body.run_id + ": cancel " + body.outcome + ".");
    refreshRuns(table);
  });
  refreshRuns(table);
  setInterval(() => refreshRuns(table), 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  const table = document.getElementById("runs");
  if (table) runsPage(table);
});
