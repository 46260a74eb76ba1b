package dev.collab.operator;

import static dev.collab.operator.OperatorOnControlPlane.NS;
import static dev.collab.operator.OperatorOnControlPlane.OPERATOR_USER;
import static dev.collab.operator.OperatorOnControlPlane.SYSTEM_NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import dev.collab.api.Shards;
import dev.collab.config.OperatorShard;
import dev.collab.config.ShardUserAgent;
import dev.collab.testing.AuditLog;
import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.PackagedApp;
import dev.collab.testing.StatusSubresourceKubelet;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two shards of the packaged operator on real Leases (docs/DESIGN.md section 12): shard 0 runs a leader and a
 * standby, shard 1 one replica. Identity: the collab-operator ServiceAccount with deploy/'s RBAC plus the per-shard
 * Lease rule the chart renders for operator.shards=2 (written here; ChartTest holds the chart to the same names). Pods
 * are started by a FAKE kubelet writing pod status. First an unsharded operator runs a few sessions (the upgrade
 * case): the shards label them and their children without replacing a pod. Then 100 sessions per shard: each ends
 * Running, labelled with the shard the hash names, and the audit log (User-Agent names the shard) shows each shard
 * writing only its own sessions and children. Last, shard 0's leader is SIGKILLed: shard 1 keeps its Lease and its
 * pods and runs new sessions meanwhile, and shard 0's standby takes over.
 */
@ExtendWith(ControlPlaneExtension.class)
class ShardingControlPlaneIT {
    static final int PER_SHARD = 100;
    static final int BEFORE_SHARDING = 6;
    static final int OWNERS = 10;
    static final Duration LEASE_DURATION = FailoverControlPlaneIT.LEASE_DURATION;

    @Test
    void twoShardsSplitTheSessionsAndFailOverAlone(ControlPlane plane) throws Exception {
        dev.collab.testing.Tiers.assumeAvailable(
                PackagedApp.built(), "target/quarkus-app missing: run the package phase first");
        dev.collab.testing.CollabInstall.deployRbac(plane);
        KubernetesClient admin = plane.admin();
        CollabInstall.grantShardLeases(admin, 2);
        for (int owner = 0; owner < OWNERS; owner++) {
            admin.secrets()
                    .inNamespace(NS)
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName("sh-credentials-" + owner)
                            .withLabels(CollabLabels.credentialSecretLabels("owner-" + owner))
                            .endMetadata()
                            .withStringData(Map.of("auth.json", "{}"))
                            .build())
                    .createOr(s -> s.update());
        }
        List<String> before =
                IntStream.range(0, BEFORE_SHARDING).mapToObj(i -> "sh-pre-" + i).toList();
        Map<Integer, List<String>> byShard = namesPerShard(PER_SHARD + 10);
        List<String> all = new ArrayList<>(before);
        byShard.values().forEach(all::addAll);
        String token = plane.token(SYSTEM_NS, "collab-operator");
        try (StatusSubresourceKubelet kubelet = new StatusSubresourceKubelet(admin, NS)) {
            // the upgrade case: sessions, pods and children made by an operator of before sharding
            Map<String, String> podUids;
            try (PackagedApp unsharded = PackagedApp.start(plane, "unsharded", token, SYSTEM_NS, props(null))) {
                before.forEach(name -> create(admin, name));
                await().atMost(Duration.ofMinutes(2)).until(() -> running(admin, before) == before.size());
                podUids = podUids(admin, before);
            }
            long mark = plane.auditLog().mark();
            try (PackagedApp shard0a = PackagedApp.start(plane, "shard0-a", token, SYSTEM_NS, props(0));
                    PackagedApp shard0b = PackagedApp.start(plane, "shard0-b", token, SYSTEM_NS, props(0));
                    PackagedApp shard1 = PackagedApp.start(plane, "shard1", token, SYSTEM_NS, props(1))) {
                Stream.concat(
                                byShard.get(0).stream().limit(PER_SHARD),
                                byShard.get(1).stream().limit(PER_SHARD))
                        .parallel()
                        .forEach(name -> create(admin, name));
                List<String> first = all.stream()
                        .filter(n -> !byShard.get(0)
                                        .subList(PER_SHARD, PER_SHARD + 10)
                                        .contains(n)
                                && !byShard.get(1)
                                        .subList(PER_SHARD, PER_SHARD + 10)
                                        .contains(n))
                        .toList();
                await().atMost(Duration.ofMinutes(4))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> running(admin, first) == first.size());
                assertLabelledByHash(admin, first);
                // what a shard sees: its leader's session gauges count only the sessions labelled with it
                assertThat(sessionsCounted(shard1))
                        .as("sessions shard 1 counts")
                        .isEqualTo(labelled(admin, "1"));
                assertThat(sessionsCounted(holder(admin, 0).equals("shard0-a") ? shard0a : shard0b))
                        .as("sessions shard 0 counts")
                        .isEqualTo(labelled(admin, "0"));
                assertThat(podUids(admin, before))
                        .as("pods of before sharding, kept")
                        .isEqualTo(podUids);
                assertEachShardWroteOnlyItsOwn(plane.auditLog(), mark);
                assertThat(plane.auditLog().forbidden(mark, OPERATOR_USER)).isEmpty();
                claimAcrossShards(admin);

                // SIGKILL shard 0's leader: shard 1 carries on alone, shard 0's standby takes over
                String leader0 = holder(admin, 0);
                String holder1 = holder(admin, 1);
                Map<String, String> shard1Pods = podUids(admin, byShard.get(1).subList(0, PER_SHARD));
                (leader0.equals("shard0-a") ? shard0a : shard0b).kill();
                long killedAt = System.nanoTime();
                List<String> late0 = byShard.get(0).subList(PER_SHARD, PER_SHARD + 10);
                List<String> late1 = byShard.get(1).subList(PER_SHARD, PER_SHARD + 10);
                Stream.concat(late0.stream(), late1.stream()).forEach(name -> create(admin, name));
                await().atMost(Duration.ofSeconds(60)).until(() -> running(admin, late1) == late1.size());
                // the standby cannot hold the Lease before it expires (15 s): shard 1 ran these without waiting on it
                boolean shard1ServedBeforeTakeover = leader0.equals(holder(admin, 0));
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> !leader0.equals(holder(admin, 0)));
                Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
                await().atMost(Duration.ofMinutes(1)).until(() -> running(admin, late0) == late0.size());
                System.out.printf(
                        "sharding: %s killed; shard 1 ran its 10 new sessions %s shard 0's takeover (%d ms)%n",
                        leader0, shard1ServedBeforeTakeover ? "before" : "after", takeover.toMillis());
                assertThat(shard1ServedBeforeTakeover)
                        .as("shard 1 ran new sessions while shard 0 had no leader")
                        .isTrue();
                assertThat(takeover).as("shard 0 takeover after SIGKILL").isLessThan(LEASE_DURATION.plusSeconds(10));
                assertThat(holder(admin, 1)).as("shard 1's Lease").isEqualTo(holder1);
                assertThat(podUids(admin, byShard.get(1).subList(0, PER_SHARD)))
                        .as("shard 1's pods across shard 0's failover")
                        .isEqualTo(shard1Pods);
                assertLabelledByHash(admin, all);
                assertEachShardWroteOnlyItsOwn(plane.auditLog(), mark);
                assertThat(shard1.log()).doesNotContain("is forbidden");
            }
        } finally {
            admin.resources(CollabSessionPool.class)
                    .inNamespace(NS)
                    .withName(POOL)
                    .delete();
            CLAIMERS.forEach(name -> admin.resources(CollabSession.class)
                    .inNamespace(NS)
                    .withName(name)
                    .delete());
            all.forEach(name -> admin.resources(CollabSession.class)
                    .inNamespace(NS)
                    .withName(name)
                    .delete());
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> admin.pods().inNamespace(NS).list().getItems().stream()
                            .noneMatch(p -> p.getMetadata().getName().startsWith("sh-")
                                    || p.getMetadata().getName().startsWith(POOL + "-")));
        }
    }

    static final String POOL = "warm";
    /** One session per shard, each claiming a warm worker of the one pool: at least one claim crosses shards. */
    static final List<String> CLAIMERS = List.of(claimerOf(0), claimerOf(1));

    static String claimerOf(int shard) {
        return IntStream.range(0, 100)
                .mapToObj(i -> "sh-claim-" + i)
                .filter(n -> Shards.of(NS, n, 2) == shard)
                .findFirst()
                .orElseThrow();
    }

    /**
     * A Gateway pool (labelled with its hash's shard, reconciled there) and a session of each shard claiming one of
     * its workers: the claimed pod, its HOME claim and access Secret end up labelled with the claiming session's shard
     * (so that shard's informers see them) and adopted by it.
     */
    static void claimAcrossShards(KubernetesClient admin) {
        admin.resources(CollabSessionPool.class)
                .resource(new CollabSessionPool(NS, POOL, new dev.collab.api.CollabSessionPoolSpec(2)))
                .create();
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            CollabSessionPool p = admin.resources(CollabSessionPool.class)
                    .inNamespace(NS)
                    .withName(POOL)
                    .get();
            return p.getStatus() != null
                    && p.getStatus().getReady() != null
                    && p.getStatus().getReady() == 2;
        });
        assertThat(label(
                        admin.resources(CollabSessionPool.class)
                                .inNamespace(NS)
                                .withName(POOL)
                                .get(),
                        Shards.LABEL))
                .isEqualTo(Integer.toString(Shards.of(NS, POOL, 2)));
        admin.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("sh-credentials-key")
                        .withLabels(CollabLabels.credentialSecretLabels("owner-key"))
                        .endMetadata()
                        .withStringData(Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-test\"}}"))
                        .build())
                .createOr(s -> s.update());
        for (String name : CLAIMERS) {
            CollabSessionSpec spec = new CollabSessionSpec("owner-key", "sh-credentials-key");
            spec.setPoolRef(POOL);
            admin.resources(CollabSession.class)
                    .resource(new CollabSession(NS, name, spec))
                    .create();
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> running(admin, CLAIMERS) == CLAIMERS.size());
        for (String name : CLAIMERS) {
            CollabSession session = admin.resources(CollabSession.class)
                    .inNamespace(NS)
                    .withName(name)
                    .get();
            String shard = Integer.toString(Shards.of(NS, name, 2));
            String worker = session.getStatus().getPodName();
            assertThat(worker).as(name + " runs on a warm worker").startsWith(POOL + "-");
            WorkerNames names = WorkerNames.of(worker);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (HasMetadata child : List.of(
                        admin.pods().inNamespace(NS).withName(names.pod()).get(),
                        admin.persistentVolumeClaims()
                                .inNamespace(NS)
                                .withName(names.homeClaim())
                                .get(),
                        admin.secrets()
                                .inNamespace(NS)
                                .withName(names.accessSecret())
                                .get())) {
                    assertThat(child.getMetadata().getLabels())
                            .as(child.getKind() + " " + child.getMetadata().getName() + " of " + name)
                            .containsEntry(Shards.LABEL, shard)
                            .containsEntry(CollabLabels.SESSION, name);
                    assertThat(ChildOwnership.isSessions(child, session))
                            .as("adopted")
                            .isTrue();
                }
            });
        }
    }

    /** Operator properties as in FailoverControlPlaneIT; shard null = unsharded. */
    static Map<String, String> props(Integer shard) {
        Map<String, String> props = new HashMap<>(Map.of(
                "collab.role", "operator",
                "collab.namespaces", NS,
                "collab.session.service-account-name", "collab-session",
                "collab.gateway.url", "http://collab-gateway.collab-system:8080",
                "collab.gateway.egress.url", "http://collab-gateway.collab-system:3128"));
        if (shard != null) {
            props.put("collab.operator.shards", "2");
            props.put("collab.operator.shard", shard.toString());
        }
        return props;
    }

    /** Session names sh-<i>, split by the shard the hash gives them, {@code n} per shard. */
    static Map<Integer, List<String>> namesPerShard(int n) {
        Map<Integer, List<String>> names = Map.of(0, new ArrayList<>(), 1, new ArrayList<>());
        for (int i = 0; names.get(0).size() < n || names.get(1).size() < n; i++) {
            String name = "sh-" + i;
            List<String> list = names.get(Shards.of(NS, name, 2));
            if (list.size() < n) {
                list.add(name);
            }
        }
        return names;
    }

    static void create(KubernetesClient admin, String name) {
        int owner = Math.floorMod(name.hashCode(), OWNERS);
        admin.resources(CollabSession.class)
                .resource(
                        new CollabSession(NS, name, new CollabSessionSpec("owner-" + owner, "sh-credentials-" + owner)))
                .create();
    }

    static long running(KubernetesClient admin, List<String> names) {
        var wanted = new java.util.HashSet<>(names);
        return admin.resources(CollabSession.class).inNamespace(NS).list().getItems().stream()
                .filter(s -> wanted.contains(s.getMetadata().getName()))
                .filter(s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running)
                .count();
    }

    static Map<String, String> podUids(KubernetesClient admin, List<String> sessions) {
        var wanted = new java.util.HashSet<>(sessions);
        return admin.pods().inNamespace(NS).list().getItems().stream()
                .filter(p -> wanted.contains(label(p, CollabLabels.SESSION)))
                .collect(Collectors.toMap(
                        p -> p.getMetadata().getName(), p -> p.getMetadata().getUid()));
    }

    static String holder(KubernetesClient admin, int shard) {
        Lease lease = admin.leases()
                .inNamespace(SYSTEM_NS)
                .withName(OperatorShard.of(shard, 2).leaseName())
                .get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    /**
     * Every session carries the shard of its hash, and each of its children (pod, claim, Secrets) the same (within
     * a few seconds: sessions of before sharding are labelled by their shard's labeler thread).
     */
    static void assertLabelledByHash(KubernetesClient admin, List<String> names) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertLabelledByHashNow(admin, names));
    }

    static void assertLabelledByHashNow(KubernetesClient admin, List<String> names) {
        var wanted = new java.util.HashSet<>(names);
        Map<String, String> shards = new HashMap<>();
        admin.resources(CollabSession.class).inNamespace(NS).list().getItems().stream()
                .filter(s -> wanted.contains(s.getMetadata().getName()))
                .forEach(s -> shards.put(s.getMetadata().getName(), label(s, Shards.LABEL)));
        names.forEach(n ->
                assertThat(shards.get(n)).as("shard label of " + n).isEqualTo(Integer.toString(Shards.of(NS, n, 2))));
        List<HasMetadata> children = new ArrayList<>();
        children.addAll(admin.pods().inNamespace(NS).list().getItems());
        children.addAll(admin.persistentVolumeClaims().inNamespace(NS).list().getItems());
        children.addAll(admin.secrets().inNamespace(NS).list().getItems());
        long checked = children.stream()
                .filter(c -> wanted.contains(label(c, CollabLabels.SESSION)))
                .peek(c -> assertThat(label(c, Shards.LABEL))
                        .as(c.getKind() + " " + c.getMetadata().getName())
                        .isEqualTo(shards.get(label(c, CollabLabels.SESSION))))
                .count();
        // per session: pod, HOME claim, access Secret, gateway-home Secret (Gateway mode, the default)
        assertThat(checked).isEqualTo(4L * names.size());
    }

    /**
     * Every write a shard made to a session or a child (by its User-Agent) is to one of its own sessions; both shards
     * wrote, and no write came from an operator process that did not name a shard.
     */
    static void assertEachShardWroteOnlyItsOwn(AuditLog audit, long mark) {
        List<String> kinds = List.of("collabsessions", "pods", "persistentvolumeclaims", "secrets");
        List<AuditLog.Event> writes = audit.writes(
                mark,
                e -> e.by(OPERATOR_USER)
                        && kinds.contains(e.resource())
                        && e.name().startsWith("sh-")
                        && !e.name().startsWith("sh-credentials-"));
        Map<String, Long> perAgent =
                writes.stream().collect(Collectors.groupingBy(AuditLog.Event::userAgent, Collectors.counting()));
        System.out.println("sharding: operator writes by User-Agent " + perAgent);
        for (int k = 0; k < 2; k++) {
            String agent = ShardUserAgent.userAgent(OperatorShard.of(k, 2));
            assertThat(perAgent).as("writes by " + agent).containsKey(agent);
        }
        Map<String, Long> creates = writes.stream()
                .filter(e -> e.verb().equals("create")
                        && e.code() == 201
                        && e.subresource().isEmpty())
                .collect(Collectors.groupingBy(e -> e.resource() + "/" + e.name(), Collectors.counting()));
        assertThat(creates)
                .as("children created more than once")
                .allSatisfy((k, n) -> assertThat(n).isEqualTo(1L));
        for (AuditLog.Event e : writes) {
            String session = sessionOf(e.name());
            int expected = Shards.of(NS, session, 2);
            assertThat(e.userAgent())
                    .as(e.toString())
                    .isEqualTo(ShardUserAgent.userAgent(OperatorShard.of(expected, 2)));
        }
    }

    /** The sum of collab_sessions{phase} on a leader: the sessions in its primary informer's cache. */
    static long sessionsCounted(PackagedApp app) throws java.io.IOException {
        return Math.round(app.get("/q/metrics")
                .body()
                .lines()
                .filter(l -> l.startsWith("collab_sessions{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum());
    }

    static long labelled(KubernetesClient admin, String shard) {
        return admin.resources(CollabSession.class)
                .inNamespace(NS)
                .withLabel(Shards.LABEL, shard)
                .list()
                .getItems()
                .size();
    }

    /** The session a child name belongs to: sh-<i>, sh-pre-<i> and their -home, -access, -gateway-home. */
    static String sessionOf(String name) {
        return name.replaceFirst("-(home|access|gateway-home)$", "");
    }

    static String label(HasMetadata o, String key) {
        return o.getMetadata().getLabels() == null
                ? null
                : o.getMetadata().getLabels().get(key);
    }
}
