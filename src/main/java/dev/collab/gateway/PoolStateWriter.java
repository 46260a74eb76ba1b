package dev.collab.gateway;

import dev.collab.api.AccountPoolState;
import dev.collab.api.SecretWrites;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Clock;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Publishes each pool's account states and counts in its Secret's annotation {@code collab.dev/accounts}, on the
 * usage flush (at most one write per changed pool per interval): what the operator turns into status.accounts and
 * the ReloginRequired condition, and what other replicas read to respect this one's cooldowns. Counts are added to
 * the annotation's totals with a resourceVersion-guarded update, so replicas never overwrite one another.
 */
final class PoolStateWriter {
    private static final Logger LOG = Logger.getLogger(PoolStateWriter.class);
    private static final int ATTEMPTS = 3;

    private final GatewayDirectory directory;
    private final SecretWrites secrets;
    private final Clock clock;

    PoolStateWriter(GatewayDirectory directory, SecretWrites secrets, Clock clock) {
        this.directory = directory;
        this.secrets = secrets;
        this.clock = clock;
    }

    void flush() {
        for (AccountPool pool : directory.pools()) {
            if (pool.dirty()) {
                try {
                    write(pool);
                } catch (RuntimeException e) {
                    LOG.debugf("account state of %s/%s not written yet: %s", pool.namespace(), pool.secretName(), e);
                }
            }
        }
    }

    private void write(AccountPool pool) {
        pool.clean();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Secret read = secrets.get(pool.namespace(), pool.secretName());
            if (read == null) {
                return;
            }
            List<AccountPoolState.Entry> before = AccountPoolState.read(read);
            List<AccountPoolState.Entry> next = pool.merged(before, clock.instant(), true);
            if (secrets.update(read, SecretWrites.annotate(AccountPoolState.ANNOTATION, AccountPoolState.write(next)))
                    != null) {
                return;
            }
            pool.restore(next, before); // another writer came first: counts back, read again
        }
        pool.markDirty(); // still unwritten: next flush
    }
}
