package dev.collab;

import dev.collab.local.LocalBootstrap;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/** Entry point: in role local, the embedded Kubernetes API starts before Quarkus (which needs an API server). */
@QuarkusMain
public class CollabMain {
    public static void main(String... args) {
        // the embedded API logs through java.util.logging before Quarkus.run would set this
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        }
        boolean local;
        try {
            local = LocalBootstrap.startIfLocal();
        } catch (RuntimeException e) {
            System.err.println("collab local mode cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        if (!local) {
            Quarkus.run(args);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(LocalBootstrap::stopApiAfterQuarkus, "collab-local-api-stop"));
        Quarkus.run(null, (code, failure) -> {
            if (failure != null) {
                failure.printStackTrace();
            }
            LocalBootstrap.stopApi();
            System.exit(code);
        }, args);
    }
}
