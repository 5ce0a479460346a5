// The sample frontend: asks the backend (nginx proxies /api/ to every backend task) which task answered,
// and reads and increments the Redis counter. No build step, no dependencies.
"use strict";

function show(id, text) {
  document.getElementById(id).textContent = text;
}

// GET or POST a JSON endpoint; resolves to {ok, status, body}, never rejects.
async function callApi(path, method) {
  try {
    const response = await fetch(path, { method: method || "GET", headers: { Accept: "application/json" }, cache: "no-store" });
    let body = null;
    try {
      body = await response.json();
    } catch (notJson) {
      body = null;
    }
    return { ok: response.ok, status: response.status, body: body };
  } catch (networkError) {
    return { ok: false, status: 0, body: null };
  }
}

function failure(result) {
  const reason = result.body && result.body.error ? ": " + result.body.error : "";
  return result.status ? "unavailable (HTTP " + result.status + reason + ")" : "unavailable (no answer)";
}

async function refreshWhoami() {
  const result = await callApi("/api/whoami");
  if (result.ok && result.body) {
    show("whoami", result.body.task);
    show("whoami-detail", "address " + result.body.address + ", version " + result.body.version);
  } else {
    show("whoami", failure(result));
    show("whoami-detail", "");
  }
}

async function updateCounter(method) {
  const result = await callApi("/api/counter", method);
  if (result.ok && result.body) {
    show("counter", String(result.body.counter));
    show("counter-detail", "counted by task " + result.body.task);
  } else {
    show("counter", failure(result));
    show("counter-detail", "");
  }
}

document.getElementById("whoami-refresh").addEventListener("click", refreshWhoami);
document.getElementById("counter-increment").addEventListener("click", function () { updateCounter("POST"); });
refreshWhoami();
updateCounter("GET");
