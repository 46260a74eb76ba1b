package dev.collab.router;

import java.time.Duration;
import java.util.List;

/**
 * What the router needs from configuration, as plain values so the router classes can be built without CDI.
 *
 * @param namespaces         namespaces whose sessions are routed; empty = every namespace
 * @param routerNamespace    namespace of the router's own Secret holding the admin token
 * @param adminTokenSecret   name of that Secret (key {@code token})
 * @param maxBody            request body cap of proxied requests, in bytes (413 above)
 * @param maxCredentialBody  body cap of credential uploads, in bytes
 * @param wakeWait           how long a request for a stopped or starting session waits for its endpoint
 * @param upstreamTimeout    how long the router waits for upstream response headers (504 after)
 * @param defaultIdleTimeout idle timeout of sessions whose spec sets none (zero = never evicted)
 * @param sessionDomain      base domain of host-based routing ({@code <session>.<domain>}), or null: path routing only
 * @param allowedOrigins     origins besides the router's own accepted on cookie-authenticated requests
 * @param login              the OAuth login of the accounts API (provider endpoints, client, timeout)
 */
public record RouterSettings(
        List<String> namespaces,
        String routerNamespace,
        String adminTokenSecret,
        long maxBody,
        long maxCredentialBody,
        Duration wakeWait,
        Duration upstreamTimeout,
        Duration defaultIdleTimeout,
        String sessionDomain,
        List<String> allowedOrigins,
        AccountLogin login) {

    /** The OAuth login of POST /collab/accounts/{owner}/login (collab.gateway.accounts.oauth-*). */
    public record AccountLogin(
            String authorizeUrl,
            String tokenUrl,
            String clientId,
            String redirectUri,
            String scopes,
            Duration timeout) {
        /** Claude's public values, the ones opencode's Claude login uses (AccountsConfig's defaults). */
        public static final AccountLogin CLAUDE = new AccountLogin(
                "https://claude.ai/oauth/authorize",
                "https://console.anthropic.com/v1/oauth/token",
                "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
                "https://console.anthropic.com/oauth/code/callback",
                "org:create_api_key user:profile user:inference",
                Duration.ofMinutes(10));
    }

    /** A Secret holds at most 1 MiB; a credential file is a few KiB. */
    public static final long CREDENTIAL_BODY_LIMIT = 256 * 1024;

    public RouterSettings {
        namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
        sessionDomain = sessionDomain == null || sessionDomain.isBlank()
                ? null
                : sessionDomain.trim().toLowerCase(java.util.Locale.ROOT).replaceAll("^\\.+|\\.+$", "");
        allowedOrigins = allowedOrigins == null
                ? List.of()
                : allowedOrigins.stream()
                        .map(String::trim)
                        .filter(o -> !o.isEmpty())
                        .toList();
        login = login == null ? AccountLogin.CLAUDE : login;
    }

    public RouterSettings(
            List<String> namespaces,
            String routerNamespace,
            String adminTokenSecret,
            long maxBody,
            long maxCredentialBody,
            Duration wakeWait,
            Duration upstreamTimeout,
            Duration defaultIdleTimeout,
            String sessionDomain,
            List<String> allowedOrigins) {
        this(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wakeWait,
                upstreamTimeout,
                defaultIdleTimeout,
                sessionDomain,
                allowedOrigins,
                null);
    }

    /** Without host-based routing and extra origins. */
    public RouterSettings(
            List<String> namespaces,
            String routerNamespace,
            String adminTokenSecret,
            long maxBody,
            long maxCredentialBody,
            Duration wakeWait,
            Duration upstreamTimeout,
            Duration defaultIdleTimeout) {
        this(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wakeWait,
                upstreamTimeout,
                defaultIdleTimeout,
                null,
                List.of());
    }

    public RouterSettings withBrowser(String domain, List<String> origins) {
        return new RouterSettings(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wakeWait,
                upstreamTimeout,
                defaultIdleTimeout,
                domain,
                origins,
                login);
    }

    public RouterSettings withWakeWait(Duration wait) {
        return new RouterSettings(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wait,
                upstreamTimeout,
                defaultIdleTimeout,
                sessionDomain,
                allowedOrigins,
                login);
    }

    public RouterSettings withUpstreamTimeout(Duration timeout) {
        return new RouterSettings(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wakeWait,
                timeout,
                defaultIdleTimeout,
                sessionDomain,
                allowedOrigins,
                login);
    }

    public RouterSettings withLogin(AccountLogin accountLogin) {
        return new RouterSettings(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wakeWait,
                upstreamTimeout,
                defaultIdleTimeout,
                sessionDomain,
                allowedOrigins,
                accountLogin);
    }
}
