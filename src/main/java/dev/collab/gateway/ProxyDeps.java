package dev.collab.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.time.Clock;
import java.util.function.Supplier;

/** What every request of the gateway works with, built once by {@link CredentialGateway}. */
record ProxyDeps(
        Vertx vertx,
        Supplier<HttpClient> clients,
        UsageLedger ledger,
        GatewayMetrics metrics,
        GatewaySettings settings,
        AccountTokens tokens,
        Budgets budgets,
        Clock clock) {}
