package dev.collab.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.net.NetClient;
import java.time.Clock;

/** What every egress connection works with, built once by {@link CredentialGateway}. */
record EgressDeps(
        Vertx vertx,
        GatewayDirectory directory,
        GatewaySettings settings,
        EgressMetrics metrics,
        UsageLedger ledger,
        Budgets budgets,
        GatewayEvents events,
        NetClient net,
        HttpClient http,
        Clock clock) {}
