package dev.collab.local;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** Closes the embedded API (saving its state) after every other shutdown observer: operator, router, local node. */
@ApplicationScoped
public class LocalApiLifecycle {
    void onStop(@Observes @Priority(Integer.MAX_VALUE) ShutdownEvent event) {
        LocalBootstrap.stopApi();
    }
}
