// Test stand-in for the opencode-claude-auth plugin (2.1.x/2.2.x for opencode 1.x), written for OAuthIsolationProofIT;
// not a copy of it. It behaves like the real plugin where the operator depends on it (issue 20):
// - reads $CLAUDE_CONFIG_DIR/.credentials.json, else ~/.claude/.credentials.json, in this process, and keeps the
//   credentials in module-level state (cached 30 s);
// - at start and every 5 minutes writes ~/.local/share/opencode/auth.json (0600) with the anthropic oauth entry,
//   replacing whatever anthropic entry was there (an uploaded API key included);
// - on provider requests sends Authorization: Bearer <accessToken>, never x-api-key;
// - refreshes within 60 s of expiry (on a request) or 1 h (on the timer) by posting to a token endpoint and writes
//   the rotated tokens back into the same .credentials.json.
// The token endpoint is CLAUDE_AUTH_STANDIN_TOKEN_URL (the real plugin's is a fixed claude.ai URL): without it a
// refresh fails loudly instead of reaching the internet.
import { randomUUID } from "node:crypto"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"

const CACHE_MS = 30_000
const SYNC_MS = 5 * 60_000
const REQUEST_MARGIN_MS = 60_000
const TIMER_MARGIN_MS = 60 * 60_000
const BETAS = ["claude-code-20250219", "oauth-2025-04-20"]
const SESSION_ID = randomUUID() // once per process, like the real plugin's X-Claude-Code-Session-Id

let cached = null // { creds, readAt }
let refreshing = null

function home() {
  return process.env.HOME || os.homedir()
}

function credentialsFile() {
  const dir = process.env.CLAUDE_CONFIG_DIR || path.join(home(), ".claude")
  return path.join(dir, ".credentials.json")
}

function authFile() {
  const data = process.env.XDG_DATA_HOME || path.join(home(), ".local", "share")
  return path.join(data, "opencode", "auth.json")
}

function writePrivate(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text, { mode: 0o600 })
  fs.chmodSync(tmp, 0o600)
  fs.renameSync(tmp, file)
}

/** { accessToken, refreshToken, expiresAt, raw, wrapped } or null when the file is missing or incomplete. */
function readCredentials() {
  let raw
  try {
    raw = JSON.parse(fs.readFileSync(credentialsFile(), "utf8"))
  } catch {
    return null
  }
  const wrapped = raw && typeof raw.claudeAiOauth === "object"
  const oauth = wrapped ? raw.claudeAiOauth : raw
  if (!oauth || !oauth.accessToken || !oauth.refreshToken || typeof oauth.expiresAt !== "number") {
    return null
  }
  return { accessToken: oauth.accessToken, refreshToken: oauth.refreshToken, expiresAt: oauth.expiresAt, raw, wrapped }
}

function current() {
  if (!cached || Date.now() - cached.readAt > CACHE_MS) {
    const creds = readCredentials()
    cached = creds ? { creds, readAt: Date.now() } : null
  }
  return cached ? cached.creds : null
}

function syncAuthJson(creds) {
  let store = {}
  try {
    store = JSON.parse(fs.readFileSync(authFile(), "utf8"))
  } catch {
    // no auth.json yet
  }
  store.anthropic = { type: "oauth", access: creds.accessToken, refresh: creds.refreshToken, expires: creds.expiresAt }
  writePrivate(authFile(), JSON.stringify(store, null, 2))
}

async function refresh(creds) {
  const url = process.env.CLAUDE_AUTH_STANDIN_TOKEN_URL
  if (!url) {
    throw new Error("claude-auth stand-in: token expired and CLAUDE_AUTH_STANDIN_TOKEN_URL is not set")
  }
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "refresh_token", refresh_token: creds.refreshToken }),
  })
  if (!res.ok) {
    throw new Error(`claude-auth stand-in: token refresh answered HTTP ${res.status}`)
  }
  const body = await res.json()
  const oauth = {
    ...(creds.wrapped ? creds.raw.claudeAiOauth : creds.raw),
    accessToken: body.access_token,
    refreshToken: body.refresh_token || creds.refreshToken,
    expiresAt: Date.now() + body.expires_in * 1000,
  }
  const raw = creds.wrapped ? { ...creds.raw, claudeAiOauth: oauth } : oauth
  writePrivate(credentialsFile(), JSON.stringify(raw)) // the write-back seed-home's hash rule protects
  cached = null
  const fresh = current()
  syncAuthJson(fresh)
  return fresh
}

/** Valid credentials for at least marginMs, refreshing once at a time; null when there are none. */
async function valid(marginMs) {
  const creds = current()
  if (!creds || creds.expiresAt - Date.now() > marginMs) {
    return creds
  }
  refreshing ??= refresh(creds).finally(() => {
    refreshing = null
  })
  return refreshing
}

function headersFor(input, init, accessToken) {
  const headers = new Headers(input instanceof Request ? input.headers : undefined)
  new Headers(init.headers || undefined).forEach((value, key) => headers.set(key, value))
  const betas = new Set([...BETAS, ...(headers.get("anthropic-beta") || "").split(",").map((b) => b.trim()).filter(Boolean)])
  headers.delete("x-api-key")
  headers.set("authorization", `Bearer ${accessToken}`)
  headers.set("anthropic-beta", [...betas].join(","))
  headers.set("user-agent", "claude-cli/2.0.0 (external, sdk-cli)")
  headers.set("x-app", "cli")
  headers.set("X-Claude-Code-Session-Id", SESSION_ID)
  return headers
}

export const ClaudeAuthStandIn = async () => {
  const start = current()
  if (!start) {
    console.warn(`claude-auth stand-in: no usable credentials in ${credentialsFile()}; plugin disabled`)
    return {}
  }
  syncAuthJson(start)
  setInterval(() => {
    valid(TIMER_MARGIN_MS).then((c) => c && syncAuthJson(c)).catch((e) => console.warn(e.message))
  }, SYNC_MS).unref()

  return {
    auth: {
      provider: "anthropic",
      async loader(getAuth) {
        const auth = await getAuth()
        if (auth.type !== "oauth") {
          return {}
        }
        return {
          apiKey: "",
          async fetch(input, init = {}) {
            const creds = await valid(REQUEST_MARGIN_MS)
            if (!creds) {
              throw new Error(`claude-auth stand-in: no credentials in ${credentialsFile()}`)
            }
            return fetch(input, { ...init, headers: headersFor(input, init, creds.accessToken) })
          },
        }
      },
      methods: [],
    },
  }
}
