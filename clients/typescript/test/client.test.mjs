// Runs against a real router in local mode (dev.collab.local.TypeScriptClientIT starts it and sets the env):
// COLLAB_ROUTER_URL, COLLAB_ADMIN_TOKEN, COLLAB_SESSION (a Gateway-mode CollabSession created through the
// Kubernetes API, without credentials yet) and COLLAB_SESSION_TOKEN (its access token).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CollabApiError, CollabClient } from "../dist/client.js";

function env(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run through TypeScriptClientIT (./mvnw verify), or set it yourself`);
  return value;
}

const baseUrl = env("COLLAB_ROUTER_URL");
const session = env("COLLAB_SESSION");
const sessionToken = env("COLLAB_SESSION_TOKEN");
const owner = env("COLLAB_OWNER");
const admin = new CollabClient({ baseUrl, adminToken: env("COLLAB_ADMIN_TOKEN") });

async function rejectsWith(promise, status) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof CollabApiError, `expected a CollabApiError, got ${e}`);
    assert.equal(e.status, status, e.message);
    assert.equal(typeof e.body?.error, "string", "the documented JSON error body");
    return true;
  });
}

test("the router serves the committed OpenAPI document without a token", async () => {
  const served = await new CollabClient({ baseUrl }).openApiDocument();
  assert.equal(served, readFileSync(new URL("../../../docs/openapi.yaml", import.meta.url), "utf8"));
});

test("the collab app's three calls: the session exists, credentials go up, its URL opens", async () => {
  // 1. created through the Kubernetes API by the test driver: the router knows it
  const before = await admin.getSession(session);
  assert.equal(before.session, session);

  // 2. upload the owner's credentials (the gateway keeps them; the session sees a placeholder)
  const uploaded = await admin.putCredentials(session, "auth.json", {
    anthropic: { type: "api", key: "sk-ts-client-0001" },
  });
  assert.equal(uploaded.session, session);
  assert.equal(uploaded.key, "auth.json");
  assert.equal(typeof uploaded.created, "boolean");

  const ready = await admin.waitUntilReady(session);
  assert.equal(ready.phase, "Running");
  assert.ok(ready.conditions.some((c) => c.type === "Ready" && c.status === "True"));

  // the participant's view of the same status, with the session token
  assert.equal((await admin.getSession(session, sessionToken)).ready, true);

  // 3. open the session's URL: ?token= becomes a cookie, then opencode's web UI answers through the router
  const url = admin.sessionUrl(session, sessionToken);
  const first = await fetch(url, { redirect: "manual" });
  assert.equal(first.status, 302);
  const location = new URL(first.headers.get("location"), url);
  assert.ok(!location.search.includes("token="), "the redirect drops the token");
  const cookie = first.headers.get("set-cookie").split(";")[0];
  assert.match(cookie, /^collab_session_token=/);
  const page = await fetch(location, { headers: { cookie } });
  assert.equal(page.status, 200);
  await page.arrayBuffer();
});

test("a missing or wrong token and an unknown session give typed errors with the JSON body", async () => {
  await rejectsWith(new CollabClient({ baseUrl }).getSession(session), 401);
  await rejectsWith(new CollabClient({ baseUrl, adminToken: "not-the-admin-token" }).getSession(session), 403);
  await rejectsWith(new CollabClient({ baseUrl, adminToken: "not-the-admin-token" }).deleteSession(session), 403);
  await rejectsWith(admin.getSession("no-such-session"), 404);
  await rejectsWith(admin.putClaudeCredentials("no-such-session", {}), 404);
  // a participant may read its session's status, but not upload
  await rejectsWith(new CollabClient({ baseUrl, adminToken: sessionToken }).putCredentials(session, "auth.json", {}), 403);
});

test("bad uploads get their documented status", async () => {
  await rejectsWith(admin.putCredentials(session, /** @type {any} */ ("nope.json"), {}), 400);
  const notJson = await fetch(`${baseUrl}/collab/session/${session}/credentials/auth.json`, {
    method: "PUT",
    headers: { authorization: `Bearer ${env("COLLAB_ADMIN_TOKEN")}`, "content-type": "text/plain" },
    body: "{}",
  });
  assert.equal(notJson.status, 415);
  assert.equal(typeof (await notJson.json()).error, "string");
});

test("the owner's accounts: listed with the owner's session token, disabled and enabled, a login started", async () => {
  const pool = await admin.listAccounts(owner, { token: sessionToken });
  assert.equal(pool.owner, owner);
  assert.deepEqual(pool.accounts.map((a) => a.name), ["api-key"], "the uploaded auth.json key, as one account");
  assert.ok(!JSON.stringify(pool).includes("sk-ts-client"), "no credential in the listing");
  const off = await admin.setAccountDisabled(owner, "api-key", true);
  assert.equal(off.pool, true, "the first edit makes accounts.json");
  assert.equal(off.accounts[0].state, "Disabled");
  assert.equal((await admin.setAccountDisabled(owner, "api-key", false)).accounts[0].state, "Active");
  const started = await admin.startLogin(owner, undefined, { token: sessionToken });
  assert.equal(started.account, "account-1");
  assert.match(started.authorizeUrl, /code_challenge_method=S256/);
  await rejectsWith(admin.finishLogin(owner, started.state + "x", "code"), 400);
  await rejectsWith(admin.listAccounts("someone-else@example.com", { token: sessionToken }), 403);
  assert.ok(admin.accountsPageUrl(owner, sessionToken).includes("/page#token="));
});
