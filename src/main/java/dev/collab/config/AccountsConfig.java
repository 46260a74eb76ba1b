package dev.collab.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;

/** collab.gateway.accounts.*: account pools (accounts.json): rotation, OAuth refresh and login, budgets. */
public interface AccountsConfig {
    /** How long an account cools down after 429/529 when the provider names no reset time. */
    @WithDefault("60s")
    Duration defaultCooldown();

    /** A reset closer than this is a short burst: the 429 goes to the client (it retries), no rotation. */
    @WithDefault("10s")
    Duration rotateThreshold();

    /** Request bodies up to this many bytes are kept for a retry on the next account; larger ones stream. */
    @WithDefault("8388608")
    long retryBodyLimit();

    /** Refresh an OAuth access token this long before it expires. */
    @WithDefault("5m")
    Duration refreshAhead();

    /** Claude's OAuth token endpoint (the refresh grant, and the code exchange of a login). */
    @WithDefault("https://console.anthropic.com/v1/oauth/token")
    String oauthTokenUrl();

    /** The OAuth client id the refresh grant and the login name (Claude Code's public client). */
    @WithDefault("9d1c250a-e61b-44d9-88ed-5944d1962f5e")
    String oauthClientId();

    /** Input plus output tokens per owner per UTC day; 0 = no limit. spec.credentials.budget overrides. */
    @WithDefault("0")
    long dailyTokens();

    /** Provider requests per owner per UTC day; 0 = no limit. */
    @WithDefault("0")
    long dailyRequests();

    /** USD (collab.gateway.prices) per owner per UTC day; 0 = no limit. spec.credentials.budget.usd overrides. */
    @WithDefault("0")
    java.math.BigDecimal dailyUsd();

    /** Claude's OAuth authorize page (the login of POST /collab/accounts/{owner}/login; DESIGN.md section 5). */
    @WithDefault("https://claude.ai/oauth/authorize")
    String oauthAuthorizeUrl();

    /**
     * Where the provider sends the person after the login. The default is Claude's page that shows the code to paste
     * (the flow opencode's Claude login uses); the router's own GET /collab/oauth/callback finishes a login by itself
     * where a provider allows that redirect.
     */
    @WithDefault("https://console.anthropic.com/oauth/code/callback")
    String oauthRedirectUri();

    /** Scopes the login asks for (space separated). */
    @WithDefault("org:create_api_key user:profile user:inference")
    String oauthScopes();

    /** A started login must be finished within this time; its state is refused after it. */
    @WithDefault("10m")
    Duration loginTimeout();
}
