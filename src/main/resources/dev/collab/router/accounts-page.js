"use strict";
// The accounts page: everything it shows comes from the accounts API with the token the person gives it (from the
// URL fragment, which never reaches a server, or typed in). textContent only: names and messages are never HTML.
(function () {
  const owner = decodeURIComponent(location.pathname.split("/")[3] || "");
  const secret = new URLSearchParams(location.search).get("secret");
  const base = "/collab/accounts/" + encodeURIComponent(owner);
  const $ = (id) => document.getElementById(id);
  // kept in memory only: a reload asks again (no storage another page of this origin could read)
  let token = new URLSearchParams(location.hash.slice(1)).get("token");
  let pending = null; // the login being finished: {state, account}
  let poll = null;
  history.replaceState(null, "", location.pathname + location.search); // the token leaves the address bar
  $("owner").textContent = owner;

  function url(path) {
    return base + path + (secret ? "?secret=" + encodeURIComponent(secret) : "");
  }

  async function call(method, path, body) {
    const res = await fetch(url(path), {
      method,
      headers: Object.assign({ Authorization: "Bearer " + token }, body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      if (res.status === 401 || res.status === 403) { $("auth").hidden = false; }
      throw new Error(json.error || "HTTP " + res.status);
    }
    return json;
  }

  function say(text, error) {
    $("status").textContent = text;
    $("status").className = error ? "error" : "";
  }

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    tr.appendChild(td);
    return td;
  }

  function button(td, label, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", () => action().catch((e) => say(e.message, true)));
    td.appendChild(b);
  }

  function render(list) {
    $("pool").textContent = "Secret " + list.namespace + "/" + list.secret;
    const body = $("accounts").querySelector("tbody");
    body.replaceChildren();
    const names = list.accounts.map((a) => a.name);
    list.accounts.forEach((a, i) => {
      const tr = document.createElement("tr");
      tr.dataset.account = a.name;
      cell(tr, a.name);
      cell(tr, a.type);
      const state = cell(tr, a.state + (a.until ? " until " + a.until : ""), "state state-" + a.state);
      if (a.message && a.state !== "Active") {
        const why = document.createElement("div");
        why.className = "muted";
        why.textContent = a.message; // the last error: why it cools down or needs a login
        state.appendChild(why);
      }
      cell(tr, a.today.requests + " / " + a.requests, "num");
      cell(tr, (a.today.inputTokens + a.today.outputTokens) + " / " + (a.inputTokens + a.outputTokens), "num");
      const actions = cell(tr, "");
      if (a.type === "OAuth") {
        button(actions, a.state === "ReloginRequired" ? "Log in again" : "Re-login", () => startLogin(a.name));
      }
      button(actions, a.state === "Disabled" ? "Enable" : "Disable",
        () => call("PATCH", "/accounts/" + encodeURIComponent(a.name), { disabled: a.state !== "Disabled" }).then(render));
      if (i > 0) {
        button(actions, "Move up", () => {
          const order = names.slice();
          order.splice(i - 1, 2, names[i], names[i - 1]);
          return call("PUT", "/order", { order }).then(render);
        });
      }
      button(actions, "Remove", () => call("DELETE", "/accounts/" + encodeURIComponent(a.name)).then(render));
      body.appendChild(tr);
    });
    if (pending) {
      // finished elsewhere (the provider redirected to the router's callback): the account has new tokens
      const row = list.accounts.find((a) => a.name === pending.account);
      if (row && row.expiresAt !== pending.expiresAt) { done("Account " + pending.account + " is logged in."); }
    }
  }

  async function refresh() {
    if (!token) { $("auth").hidden = false; return; }
    render(await call("GET", ""));
  }

  async function startLogin(account) {
    const started = await call("POST", "/login", account ? { account } : {});
    const list = await call("GET", "");
    const row = list.accounts.find((a) => a.name === started.account);
    pending = { state: started.state, account: started.account, expiresAt: row ? row.expiresAt : undefined };
    $("login-account").textContent = started.account;
    $("login-link").href = started.authorizeUrl;
    $("code").value = "";
    $("login").hidden = false;
    say("Waiting for the login of " + started.account + ".");
    clearInterval(poll);
    poll = setInterval(() => refresh().catch(() => {}), 1500); // the provider may redirect to the router itself
  }

  function done(text) {
    pending = null;
    clearInterval(poll);
    $("login").hidden = true;
    say(text);
  }

  $("add").addEventListener("click", () => startLogin(null).catch((e) => say(e.message, true)));
  $("cancel").addEventListener("click", () => done(""));
  $("finish").addEventListener("click", () => {
    const account = pending.account;
    call("POST", "/login/" + encodeURIComponent(pending.state), { code: $("code").value })
      .then((list) => { render(list); done("Account " + account + " is logged in."); })
      .catch((e) => say(e.message, true));
  });
  $("auth").addEventListener("submit", (ev) => {
    ev.preventDefault();
    token = $("token").value;
    $("auth").hidden = true;
    refresh().catch((e) => say(e.message, true));
  });
  refresh().catch((e) => say(e.message, true));
  setInterval(() => { if (!pending && token) { refresh().catch(() => {}); } }, 5000);
})();
