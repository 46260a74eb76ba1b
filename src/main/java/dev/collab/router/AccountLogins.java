package dev.collab.router;

import io.fabric8.kubernetes.api.model.Secret;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * OAuth login (PKCE) of an account into an owner's pool (docs/DESIGN.md section 5): start answers the provider's
 * authorize URL and a sealed state; finishing (the pasted code, or the provider's redirect to the callback) exchanges
 * the code and adds the account, or replaces the one of that name (a re-login), in one guarded Secret update that also
 * records the login's nonce, so a state finishes at most once. Nothing restarts: the gateway reads the new tokens from
 * its informer, and a new refresh token clears ReloginRequired everywhere (it is bound to the refused one).
 */
final class AccountLogins {
    private static final Logger LOG = Logger.getLogger(AccountLogins.class);
    private static final int CODE_LIMIT = 4096;

    private final Vertx vertx;
    private final OwnerRequests requests;
    private final PoolWrites writes;
    private final TokenExchange exchange;
    private final RouterSettings.AccountLogin login;
    private final Clock clock;
    private final SecureRandom random;

    AccountLogins(
            Vertx vertx,
            OwnerRequests requests,
            PoolWrites writes,
            RouterSettings.AccountLogin login,
            Clock clock,
            SecureRandom random) {
        this.vertx = vertx;
        this.requests = requests;
        this.writes = writes;
        this.exchange = new TokenExchange(login, clock);
        this.login = login;
        this.clock = clock;
        this.random = random;
    }

    /** POST /collab/accounts/{owner}/login {"account"?: name}. */
    void start(RoutingContext ctx) {
        String owner = ctx.pathParam("owner");
        if (!requests.authorized(ctx, owner)) {
            return;
        }
        requests.body(ctx, owner)
                .onSuccess(body -> requests.respond(ctx, owner, () -> {
                    LoginState sealer = sealer();
                    OwnerPools.Pool pool = requests.pool(ctx, owner);
                    Object named = body.getValue("account");
                    if (named != null && !(named instanceof String s && AccountsApi.validName(s))) {
                        throw new AccountEdits.Refused(
                                400,
                                "account must be a name of 1-63 letters, digits, '.', '_' or '-', starting alphanumeric");
                    }
                    String account = named != null ? (String) named : AccountEdits.freeName(data(writes.read(pool)));
                    Pkce pkce = Pkce.create(random);
                    long expires = clock.millis() + login.timeout().toMillis();
                    String state = sealer.seal(new LoginState.Claim(
                            owner, pool.namespace(), pool.secret(), account, pkce.verifier(), nonce(), expires));
                    return new JsonObject()
                            .put("owner", owner)
                            .put("namespace", pool.namespace())
                            .put("secret", pool.secret())
                            .put("account", account)
                            .put("state", state)
                            .put("authorizeUrl", authorizeUrl(pkce, state))
                            .put("expiresAt", Instant.ofEpochMilli(expires).toString());
                }));
    }

    /** POST /collab/accounts/{owner}/login/{state} {"code": "..."} (the code as the provider showed it). */
    void finishWithCode(RoutingContext ctx) {
        String owner = ctx.pathParam("owner");
        if (!requests.authorized(ctx, owner)) {
            return;
        }
        String state = ctx.pathParam("state");
        requests.body(ctx, owner)
                .onSuccess(body -> requests.respond(ctx, owner, () -> {
                    Object code = body.getValue("code");
                    if (!(code instanceof String c) || c.isBlank() || c.length() > CODE_LIMIT) {
                        throw new AccountEdits.Refused(400, "code must be the non-empty string the provider showed");
                    }
                    return finish(owner, state, c);
                }));
    }

    /**
     * GET /collab/oauth/callback?code=&state= (the provider's redirect, when collab.gateway.accounts.oauth-redirect-uri
     * points here). No token: the sealed state is the proof, bound to its owner, expiring and single use.
     */
    void callback(RoutingContext ctx) {
        ctx.request().resume();
        String state = ctx.request().getParam("state");
        String code = ctx.request().getParam("code");
        String owner = state == null ? null : sealer().ownerOf(state).orElse(null);
        if (owner == null || code == null || code.isBlank() || code.length() > CODE_LIMIT) {
            String error = ctx.request().getParam("error");
            page(ctx, 400, error != null ? "The login was not completed (" + error + ")." : "Unknown login.");
            return;
        }
        vertx.executeBlocking(() -> finish(owner, state, code), false).onComplete(ar -> {
            if (ar.succeeded()) {
                page(
                        ctx,
                        200,
                        "Account " + ar.result().getString("account") + " is logged in for " + owner
                                + ". You can close this tab.");
            } else if (ar.cause() instanceof AccountEdits.Refused r) {
                page(ctx, r.status, "The login failed: " + r.getMessage());
            } else {
                page(ctx, 502, "The login failed: the account could not be stored.");
            }
        });
    }

    /** Exchanges the code and writes the account; the pool's listing and the account's name. Blocking. */
    private JsonObject finish(String owner, String state, String pastedCode) {
        LoginState.Claim claim = sealer().open(state, owner, clock.instant());
        OwnerPools.Pool pool = new OwnerPools.Pool(claim.namespace(), claim.secret());
        Secret before = writes.read(pool);
        if (before != null && AccountEdits.nonceUsed(before.getMetadata().getAnnotations(), claim.nonce())) {
            throw new AccountEdits.Refused(409, "this login was already finished");
        }
        // Claude shows the code as "<code>#<state>": the code is the part before '#'
        String code = pastedCode.trim().split("#", 2)[0];
        TokenExchange.Issued issued = exchange.exchange(code, state, claim.verifier());
        Secret written = writes.edit(pool, owner, true, c -> {
            if (AccountEdits.nonceUsed(c.annotations(), claim.nonce())) {
                throw new AccountEdits.Refused(409, "this login was already finished");
            }
            return new PoolWrites.Contents(
                    AccountEdits.loggedIn(
                            c.data(), claim.account(), issued.access(), issued.refresh(), issued.expiresAt()),
                    AccountEdits.withNonce(c.annotations(), claim.nonce(), claim.expires(), clock.millis()));
        });
        LOG.infof("account %s of owner %s logged in (Secret %s)", claim.account(), owner, pool);
        return AccountListing.of(owner, pool, written, clock.instant()).put("account", claim.account());
    }

    private LoginState sealer() {
        byte[] admin = requests.directory().adminToken().orElse(null);
        if (admin == null) {
            throw new AccountEdits.Refused(
                    503, "admin token not configured: logins are sealed with a key derived from it");
        }
        return LoginState.keyedBy(admin, random);
    }

    private String authorizeUrl(Pkce pkce, String state) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("code", "true");
        q.put("client_id", login.clientId());
        q.put("response_type", "code");
        q.put("redirect_uri", login.redirectUri());
        q.put("scope", login.scopes());
        q.put("code_challenge", pkce.challenge());
        q.put("code_challenge_method", "S256");
        q.put("state", state);
        return login.authorizeUrl()
                + (login.authorizeUrl().contains("?") ? "&" : "?")
                + q.entrySet().stream()
                        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                        .collect(Collectors.joining("&"));
    }

    private String nonce() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static Map<String, String> data(Secret s) {
        return s == null || s.getData() == null ? Map.of() : s.getData();
    }

    private static void page(RoutingContext ctx, int status, String message) {
        String escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .putHeader("Content-Security-Policy", "default-src 'none'")
                .putHeader("Referrer-Policy", "no-referrer")
                .end("<!doctype html><meta charset=utf-8><title>Account login</title><p id=result>" + escaped + "</p>");
    }
}
