package dev.collab.router;

import dev.collab.api.SecretWrites;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The accounts API under /collab/accounts/{owner} (docs/DESIGN.md section 5): list an owner's pool with states and
 * usage, log accounts in and again ({@link AccountLogins}), remove, order and disable them, and the accounts page.
 * Callers: the admin token, or a session token of one of the owner's own sessions. No response carries a credential.
 */
final class AccountsApi {
    private static final Logger LOG = Logger.getLogger(AccountsApi.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private final OwnerRequests requests;
    private final PoolWrites writes;
    private final AccountLogins logins;
    private final AccountsPage page = AccountsPage.load();
    private final Clock clock;

    AccountsApi(
            Vertx vertx,
            KubernetesClient client,
            SessionLookup sessions,
            RouterSettings.AccountLogin login,
            Clock clock) {
        this.requests = new OwnerRequests(vertx, sessions);
        this.writes = new PoolWrites(new SecretWrites(client));
        this.logins = new AccountLogins(vertx, requests, writes, login, clock, new SecureRandom());
        this.clock = clock;
    }

    static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    void mount(Router router, ApiRoutes routes) {
        routes.endpoint(router, "/collab/accounts/:owner", Map.of(HttpMethod.GET, this::list));
        routes.endpoint(router, "/collab/accounts/:owner/order", Map.of(HttpMethod.PUT, this::order));
        routes.endpoint(router, "/collab/accounts/:owner/login", Map.of(HttpMethod.POST, logins::start));
        routes.endpoint(
                router, "/collab/accounts/:owner/login/:state", Map.of(HttpMethod.POST, logins::finishWithCode));
        routes.endpoint(
                router,
                "/collab/accounts/:owner/accounts/:account",
                Map.of(HttpMethod.PATCH, this::patch, HttpMethod.DELETE, this::remove));
        routes.endpoint(router, "/collab/accounts/:owner/page", Map.of(HttpMethod.GET, this::page));
        routes.endpoint(router, "/collab/oauth/callback", Map.of(HttpMethod.GET, logins::callback));
    }

    private void list(RoutingContext ctx) {
        String owner = ctx.pathParam("owner");
        if (requests.authorized(ctx, owner)) {
            ctx.request().resume();
            requests.respond(ctx, owner, () -> {
                OwnerPools.Pool pool = requests.pool(ctx, owner);
                return AccountListing.of(owner, pool, writes.read(pool), clock.instant());
            });
        }
    }

    /** PUT .../order {"order": [names]}: every account once, preferred first. */
    private void order(RoutingContext ctx) {
        String owner = ctx.pathParam("owner");
        if (!requests.authorized(ctx, owner)) {
            return;
        }
        requests.body(ctx, owner)
                .onSuccess(body -> requests.respond(ctx, owner, () -> {
                    if (!(body.getValue("order") instanceof JsonArray names)
                            || !names.stream().allMatch(n -> n instanceof String)) {
                        throw new AccountEdits.Refused(400, "order must be a list of account names");
                    }
                    List<String> order = names.stream().map(String.class::cast).toList();
                    return edited(ctx, owner, "ordered", c -> AccountEdits.ordered(c, order));
                }));
    }

    /** PATCH .../accounts/{account} {"disabled": true|false}. */
    private void patch(RoutingContext ctx) {
        String owner = ctx.pathParam("owner");
        if (!requests.authorized(ctx, owner)) {
            return;
        }
        String account = ctx.pathParam("account");
        requests.body(ctx, owner)
                .onSuccess(body -> requests.respond(ctx, owner, () -> {
                    if (!(body.getValue("disabled") instanceof Boolean disabled)) {
                        throw new AccountEdits.Refused(
                                400, "body must be {\"disabled\": true} or {\"disabled\": false}");
                    }
                    return edited(
                            ctx,
                            owner,
                            (disabled ? "disabled " : "enabled ") + account,
                            c -> AccountEdits.disabled(c, account, disabled));
                }));
    }

    private void remove(RoutingContext ctx) {
        String owner = ctx.pathParam("owner");
        if (requests.authorized(ctx, owner)) {
            ctx.request().resume();
            String account = ctx.pathParam("account");
            requests.respond(
                    ctx, owner, () -> edited(ctx, owner, "removed " + account, c -> AccountEdits.removed(c, account)));
        }
    }

    private JsonObject edited(RoutingContext ctx, String owner, String what, UnaryOperator<Map<String, String>> edit) {
        OwnerPools.Pool pool = requests.pool(ctx, owner);
        Secret written =
                writes.edit(pool, owner, false, c -> new PoolWrites.Contents(edit.apply(c.data()), c.annotations()));
        LOG.infof("accounts of owner %s: %s (Secret %s)", owner, what, pool);
        return AccountListing.of(owner, pool, written, clock.instant());
    }

    /** The page carries no data and needs no token: its script asks for the token and calls this API with it. */
    private void page(RoutingContext ctx) {
        ctx.request().resume();
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .putHeader("Content-Security-Policy", page.contentSecurityPolicy())
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Frame-Options", "DENY")
                .end(Buffer.buffer(page.html()));
    }
}
