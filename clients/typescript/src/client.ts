// Typed client of the CollabSession router's collab API. Types come from src/schema.d.ts, generated from
// docs/openapi.yaml by openapi-typescript (npm run generate; npm test fails when the committed file is stale).
// Runtime: fetch only.
import type { components, operations } from "./schema.js";

type Json<Op extends keyof operations, Status extends number> =
  operations[Op]["responses"] extends Record<Status, { content: { "application/json": infer Body } }> ? Body : never;

export type SessionStatus = Json<"getSession", 200>;
export type UploadResult = Json<"putCredentials", 200>;
export type Deleted = Json<"deleteSession", 200>;
export type CredentialKey = components["schemas"]["CredentialKey"];
export type AccountPool = components["schemas"]["AccountPool"];
export type PoolAccount = components["schemas"]["PoolAccount"];
export type LoginStarted = components["schemas"]["LoginStarted"];
export type LoginFinished = Json<"finishLogin", 200>;

/**
 * Who calls the accounts API: the admin token (the client's default) or `token`, a session token of one of the
 * owner's own sessions; `secret` picks the pool when the owner's sessions name several credential Secrets.
 */
export interface AccountsCall {
  token?: string;
  secret?: string;
}
export type ErrorBody = components["schemas"]["Error"];

/** A documented error answer of the router: status, its JSON body, and Retry-After (503) when given. */
export class CollabApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(`collab router answered ${status}: ${body?.error ?? "(no JSON body)"}`);
    this.name = "CollabApiError";
  }
}

export interface CollabClientOptions {
  /** The router's base URL, e.g. https://collab.example.com or http://127.0.0.1:8080 */
  baseUrl: string;
  /** The collab app's admin token (the router's Secret), for uploads, deletes and status. */
  adminToken?: string;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

export class CollabClient {
  private readonly baseUrl: string;
  private readonly adminToken: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: CollabClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.adminToken = options.adminToken;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Phase, conditions and readiness; with the admin token, or with `sessionToken` (that session's own). */
  getSession(session: string, sessionToken?: string): Promise<SessionStatus> {
    return this.call<SessionStatus>("GET", `/collab/session/${enc(session)}`, sessionToken ?? this.adminToken);
  }

  /** Deletes the CollabSession (admin token). */
  deleteSession(session: string): Promise<Deleted> {
    return this.call<Deleted>("DELETE", `/collab/session/${enc(session)}`, this.adminToken);
  }

  /** Writes one key of the session's credential Secret (admin token); the body is a JSON object. */
  putCredentials(session: string, key: CredentialKey, credentials: object): Promise<UploadResult> {
    return this.call<UploadResult>(
      "PUT",
      `/collab/session/${enc(session)}/credentials/${enc(key)}`,
      this.adminToken,
      credentials,
    );
  }

  /** The same as putCredentials(session, "claude-credentials.json", ...), at the path the collab app used before. */
  putClaudeCredentials(session: string, credentials: object): Promise<UploadResult> {
    return this.call<UploadResult>("PUT", `/collab/session/${enc(session)}/claude-creds`, this.adminToken, credentials);
  }

  /**
   * The URL to open (e.g. as an iframe's src) for a participant: the router turns ?token= into an HttpOnly cookie
   * scoped to the session and redirects to the same URL without it.
   */
  sessionUrl(session: string, sessionToken: string, path = ""): string {
    return `${this.baseUrl}/s/${enc(session)}/${path.replace(/^\/+/, "")}?token=${encodeURIComponent(sessionToken)}`;
  }

  /** Polls getSession until ready (or `timeoutMs`); 503 answers (starting) are waited out. */
  async waitUntilReady(session: string, timeoutMs = 180_000, intervalMs = 500): Promise<SessionStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: SessionStatus | CollabApiError | undefined;
    while (Date.now() < deadline) {
      try {
        last = await this.getSession(session);
        if (last.ready) {
          return last;
        }
      } catch (e) {
        if (!(e instanceof CollabApiError) || e.status !== 503) {
          throw e;
        }
        last = e;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    throw new Error(`session ${session} not ready within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  }

  /** The owner's account pool: states, cooldowns, last errors and usage (today and total); never a credential. */
  listAccounts(owner: string, call: AccountsCall = {}): Promise<AccountPool> {
    return this.accounts<AccountPool>("GET", owner, "", call);
  }

  /** Starts an OAuth login: open `authorizeUrl`, then finishLogin with the code the provider shows. */
  startLogin(owner: string, account?: string, call: AccountsCall = {}): Promise<LoginStarted> {
    return this.accounts<LoginStarted>("POST", owner, "/login", call, account === undefined ? {} : { account });
  }

  /** Finishes a login with the code as the provider showed it (`code#state` is fine). */
  finishLogin(owner: string, state: string, code: string, call: AccountsCall = {}): Promise<LoginFinished> {
    return this.accounts<LoginFinished>("POST", owner, `/login/${enc(state)}`, call, { code });
  }

  removeAccount(owner: string, account: string, call: AccountsCall = {}): Promise<AccountPool> {
    return this.accounts<AccountPool>("DELETE", owner, `/accounts/${enc(account)}`, call);
  }

  setAccountDisabled(owner: string, account: string, disabled: boolean, call: AccountsCall = {}): Promise<AccountPool> {
    return this.accounts<AccountPool>("PATCH", owner, `/accounts/${enc(account)}`, call, { disabled });
  }

  /** Every account once, preferred first. */
  orderAccounts(owner: string, order: string[], call: AccountsCall = {}): Promise<AccountPool> {
    return this.accounts<AccountPool>("PUT", owner, "/order", call, { order });
  }

  /** The accounts page for a person; the token rides in the fragment, which no server sees. */
  accountsPageUrl(owner: string, token: string, secret?: string): string {
    const query = secret === undefined ? "" : `?secret=${encodeURIComponent(secret)}`;
    return `${this.baseUrl}/collab/accounts/${enc(owner)}/page${query}#token=${encodeURIComponent(token)}`;
  }

  private accounts<T>(method: string, owner: string, path: string, call: AccountsCall, body?: object): Promise<T> {
    const query = call.secret === undefined ? "" : `?secret=${encodeURIComponent(call.secret)}`;
    return this.call<T>(method, `/collab/accounts/${enc(owner)}${path}${query}`, call.token ?? this.adminToken, body);
  }

  /** The OpenAPI document the router serves (no token). */
  async openApiDocument(): Promise<string> {
    const resp = await this.fetchImpl(`${this.baseUrl}/collab/openapi.yaml`);
    if (!resp.ok) {
      throw await errorOf(resp);
    }
    return resp.text();
  }

  private async call<T>(method: string, path: string, token: string | undefined, body?: object): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (token !== undefined) {
      headers.authorization = `Bearer ${token}`;
    }
    if (body !== undefined) {
      headers["content-type"] = "application/json";
    }
    const resp = await this.fetchImpl(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!resp.ok) {
      throw await errorOf(resp);
    }
    return (await resp.json()) as T;
  }
}

async function errorOf(resp: Response): Promise<CollabApiError> {
  let body: ErrorBody | undefined;
  if ((resp.headers.get("content-type") ?? "").startsWith("application/json")) {
    body = (await resp.json()) as ErrorBody;
  }
  const retry = resp.headers.get("retry-after");
  return new CollabApiError(resp.status, body, retry === null ? undefined : Number(retry));
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
