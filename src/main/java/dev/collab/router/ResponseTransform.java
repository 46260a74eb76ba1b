package dev.collab.router;

import dev.collab.router.RouteTable.RouteClass;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * A cross-cutting hook on proxied responses (vertx-http-proxy's interceptor idea): when it applies to a request,
 * the relay buffers the successful upstream body and sends the transformed one instead of streaming. Transforms
 * run on a worker thread (a body can be megabytes).
 */
interface ResponseTransform {
    /** Whether this transform must see the response of {@code method} on a route of class {@code routeClass}. */
    boolean appliesTo(HttpMethod method, RouteClass routeClass);

    /** The body to send; throws when the upstream body cannot be transformed (the client gets 502). */
    Buffer transform(Buffer body) throws Exception;

    /** The 502 message when {@link #transform} fails. */
    String failure();
}
