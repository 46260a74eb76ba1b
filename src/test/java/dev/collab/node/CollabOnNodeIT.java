package dev.collab.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.StoppedReason;
import dev.collab.local.FakeAnthropic;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.Kubectl;
import dev.collab.testing.node.CollabRelease;
import dev.collab.testing.node.FakeDns;
import dev.collab.testing.node.NodeCluster;
import dev.collab.testing.node.NodeExtension;
import dev.collab.testing.node.NodeSessions;
import dev.collab.testing.node.RealNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart on a real node: the images built here, the operator, router and gateway as pods under their own
 * ServiceAccounts, sessions as real containers running real opencode from the session image, on real local PVCs, with
 * NetworkPolicies enforced by kube-router. FAKE: the Anthropic provider (a loopback-style HTTP server on the host's
 * address, port 443), which records the key of every request.
 */
@ExtendWith(NodeExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CollabOnNodeIT {
    static final String KEY_SEEDED_A = "sk-ant-node-seeded-a-0001";
    static final String KEY_SEEDED_B = "sk-ant-node-seeded-b-0002";
    static final String KEY_GW_A = "sk-ant-node-gateway-a-0003";
    static final String KEY_GW_B = "sk-ant-node-gateway-b-0004";
    static final String KEY_SEEDED_A_NEW = "sk-ant-node-seeded-a-0006";
    static final List<String> KEYS = List.of(KEY_SEEDED_A, KEY_SEEDED_B, KEY_GW_A, KEY_GW_B, KEY_SEEDED_A_NEW);
    static final Duration START = Duration.ofMinutes(4);
    static final int FLEET = 50;
    static final int UPGRADE_SESSIONS = 20;
    static final int MEASURED = 20;
    /**
     * How long a session may lack its endpoint while its pod is Ready (the operator's own lag), with room for a loaded
     * CI machine. A rollout that withdrew endpoints until the new leader's first resync would take minutes and fail
     * here. Explained in stop 33: the losses seen before (3-31 s) were mostly the kubelet's: with 50 sessions and
     * three JVMs starting on 2 cores (load average above 100) opencode left the readiness page unanswered for 10
     * probes in a row, the kubelet set the pods not Ready, and the operator withdrew their endpoints as it should;
     * those are printed, not failed. Its own lag after the pods were Ready again, during the leader handover of the
     * same overloaded upgrade: 0.7-16 s (20 sessions).
     */
    static final Duration ENDPOINT_LOSS_BOUND = Duration.ofSeconds(30);

    NodeCluster cluster;
    FakeAnthropic provider;
    NodeSessions sessions;

    @BeforeAll
    void install(NodeCluster cluster) throws Exception {
        this.cluster = cluster;
        String host = cluster.node().layout().address();
        provider = new FakeAnthropic(new InetSocketAddress(host, 443));
        sessions = new NodeSessions(cluster, "http://" + host + ":443");
        cluster.plane().ensureNamespace(CollabRelease.SYSTEM, ControlPlane.restricted());
        CollabRelease.install(
                cluster, CollabRelease.values(cluster, cluster.images().app(), "http://" + host + ":443"));
    }

    @AfterAll
    void stopProvider() {
        if (provider != null) {
            provider.close();
        }
    }

    @Test
    @Order(1)
    void everyRoleRunsAsAPodUnderItsOwnServiceAccount() {
        for (String app : List.of("collab-operator", "collab-router", "collab-gateway")) {
            List<Pod> pods = cluster.admin()
                    .pods()
                    .inNamespace(CollabRelease.SYSTEM)
                    .withLabel("app.kubernetes.io/name", app)
                    .list()
                    .getItems();
            assertThat(pods).as(app).isNotEmpty();
            for (Pod pod : pods) {
                assertThat(pod.getSpec().getServiceAccountName()).isEqualTo(app);
                assertThat(pod.getStatus().getContainerStatuses()).allMatch(c -> Boolean.TRUE.equals(c.getReady()));
            }
        }
        assertThat(cluster.admin()
                        .namespaces()
                        .withName(CollabRelease.SESSIONS)
                        .get()
                        .getMetadata()
                        .getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    }

    @Test
    @Order(2)
    void eachSessionAnswersWithItsOwnKeyOnlyAndGatewayPodsHoldPlaceholders() throws Exception {
        sessions.create("seeded-a", "ann@example.com", KEY_SEEDED_A, CredentialsMode.Seeded, null);
        sessions.create("seeded-b", "ben@example.com", KEY_SEEDED_B, CredentialsMode.Seeded, null);
        // gw-a may reach the node's address on 443 through the egress proxy (a listed range: the address is not public)
        sessions.create(
                "gw-a",
                "gia@example.com",
                KEY_GW_A,
                CredentialsMode.Gateway,
                null,
                spec -> spec.setEgress(new dev.collab.api.EgressSpec(
                        List.of(cluster.node().layout().address() + "/32:443"))));
        sessions.create("gw-b", "gus@example.com", KEY_GW_B, CredentialsMode.Gateway, null);
        Map<String, String> keyOf =
                Map.of("seeded-a", KEY_SEEDED_A, "seeded-b", KEY_SEEDED_B, "gw-a", KEY_GW_A, "gw-b", KEY_GW_B);
        for (String name : keyOf.keySet()) {
            sessions.await(name, NodeSessions::running, START);
        }
        for (String name : keyOf.keySet()) {
            assertThat(sessions.prompt(name)).contains(FakeAnthropic.text());
        }
        String gatewayIp = cluster.admin()
                .pods()
                .inNamespace(CollabRelease.SYSTEM)
                .withLabel("app.kubernetes.io/name", "collab-gateway")
                .list()
                .getItems()
                .get(0)
                .getStatus()
                .getPodIP();
        for (var e : keyOf.entrySet()) {
            var mine = provider.requests().stream()
                    .filter(r -> r.mentions("Say hello to " + e.getKey()))
                    .toList();
            assertThat(mine).as("provider requests of %s", e.getKey()).isNotEmpty();
            assertThat(mine)
                    .as("keys of %s", e.getKey())
                    .allMatch(r -> e.getValue().equals(r.apiKey()));
            String podIp = cluster.admin()
                    .pods()
                    .inNamespace(CollabRelease.SESSIONS)
                    .withName(e.getKey())
                    .get()
                    .getStatus()
                    .getPodIP();
            String expectedSource = e.getKey().startsWith("gw-") ? gatewayIp : podIp;
            assertThat(mine).as("sender of %s", e.getKey()).allMatch(r -> expectedSource.equals(r.remote()));
        }
        for (String name : List.of("gw-a", "gw-b")) {
            // what the agent could read: its whole HOME, the mounted files, every process's environment
            Kubectl.Result scan = sessions.exec(
                    name,
                    "grep -rl -e " + String.join(" -e ", KEYS) + " $HOME /tmp /etc /proc/[0-9]*/environ 2>/dev/null;"
                            + " grep -rl '" + Placeholders.PREFIX + "' $HOME | head -1");
            assertThat(scan.out())
                    .as("files with a real key, then one with a placeholder")
                    .doesNotContain("sk-ant-node")
                    .contains("/");
            for (String key : KEYS) {
                assertThat(scan.out()).doesNotContain(key);
            }
        }
    }

    @Test
    @Order(3)
    void logsOfEveryRoleShowNoErrorAndNoSecret() {
        for (String app : List.of("collab-operator", "collab-router", "collab-gateway")) {
            String logs = cluster.kubectl()
                    .run(
                            "logs",
                            "-n",
                            CollabRelease.SYSTEM,
                            "-l",
                            "app.kubernetes.io/name=" + app,
                            "--tail=-1",
                            "--all-containers",
                            "--prefix")
                    .orFail();
            assertThat(logs).as("logs of %s", app).isNotBlank().doesNotContain(" ERROR ");
            assertThat(logs).doesNotContain(CollabRelease.ADMIN_TOKEN).doesNotContain(Placeholders.PREFIX);
            for (String key : KEYS) {
                assertThat(logs).doesNotContain(key);
            }
        }
    }

    @Test
    @Order(4)
    void idleStopWakeUploadAndDeleteWithRealPodsAndVolumes() throws Exception {
        sessions.create("life", "lia@example.com", "sk-ant-node-life-0005", CredentialsMode.Seeded, "20s");
        sessions.await("life", NodeSessions::running, START);
        sessions.exec("life", "echo kept-across-stops > $HOME/agent-note.txt").orFail();
        CollabSession stopped =
                sessions.await("life", s -> s.getStatus().getStoppedReason() == StoppedReason.IdleTimeout, START);
        assertThat(stopped.getStatus().getEndpoint()).isNull();
        awaitGone(
                "pod life",
                () -> cluster.admin()
                        .pods()
                        .inNamespace(CollabRelease.SESSIONS)
                        .withName("life")
                        .get());
        // the next request wakes it: the router holds it while the pod starts (retried past the router's wake wait)
        awaitOk(
                "GET /s/life/global/health",
                () -> sessions.send("GET", "/s/life/global/health", sessions.token("life"), null));
        assertThat(sessions.exec("life", "cat $HOME/agent-note.txt").orFail()).contains("kept-across-stops");

        // an upload through the router reaches that session only
        String before = sessions.get("seeded-a").getStatus().getCredentialsHash();
        var upload = sessions.send(
                "PUT",
                "/collab/session/seeded-a/credentials/auth.json",
                CollabRelease.ADMIN_TOKEN,
                "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + KEY_SEEDED_A_NEW + "\"}}");
        assertThat(upload.statusCode()).as(upload.body()).isBetween(200, 204);
        sessions.await(
                "seeded-a",
                s -> NodeSessions.running(s) && !before.equals(s.getStatus().getCredentialsHash()),
                START);
        int seen = provider.requests().size();
        sessions.prompt("seeded-a");
        sessions.prompt("seeded-b");
        var after = provider.requests().subList(seen, provider.requests().size());
        assertThat(after.stream().filter(r -> r.mentions("Say hello to seeded-a")))
                .isNotEmpty()
                .allMatch(r -> KEY_SEEDED_A_NEW.equals(r.apiKey()));
        assertThat(after.stream().filter(r -> r.mentions("Say hello to seeded-b")))
                .isNotEmpty()
                .allMatch(r -> KEY_SEEDED_B.equals(r.apiKey()));

        // delete: the garbage collector removes pod, access Secret and HOME claim
        cluster.admin()
                .resources(CollabSession.class)
                .inNamespace(CollabRelease.SESSIONS)
                .withName("life")
                .delete();
        awaitGone(
                "pod life",
                () -> cluster.admin()
                        .pods()
                        .inNamespace(CollabRelease.SESSIONS)
                        .withName("life")
                        .get());
        awaitGone(
                "access Secret",
                () -> cluster.admin()
                        .secrets()
                        .inNamespace(CollabRelease.SESSIONS)
                        .withName(CollabLabels.accessSecretName("life"))
                        .get());
        awaitGone(
                "HOME claim",
                () -> cluster.admin()
                        .persistentVolumeClaims()
                        .inNamespace(CollabRelease.SESSIONS)
                        .withName(CollabLabels.homeClaimName("life"))
                        .get());

        // storage.retainOnDelete: the HOME claim outlives its session
        sessions.create("kept", "kit@example.com", "sk-ant-node-kept-0007", CredentialsMode.Seeded, null, spec -> {
            dev.collab.api.StorageSpec storage = new dev.collab.api.StorageSpec();
            storage.setRetainOnDelete(true);
            spec.setStorage(storage);
        });
        sessions.await("kept", NodeSessions::running, START);
        cluster.admin()
                .resources(CollabSession.class)
                .inNamespace(CollabRelease.SESSIONS)
                .withName("kept")
                .delete();
        awaitGone(
                "pod kept",
                () -> cluster.admin()
                        .pods()
                        .inNamespace(CollabRelease.SESSIONS)
                        .withName("kept")
                        .get());
        RealNode.sleep(5000); // the garbage collector had its chance
        var kept = cluster.admin()
                .persistentVolumeClaims()
                .inNamespace(CollabRelease.SESSIONS)
                .withName(CollabLabels.homeClaimName("kept"))
                .get();
        assertThat(kept).as("retained HOME claim").isNotNull();
        assertThat(kept.getMetadata().getDeletionTimestamp()).isNull();
    }

    @Test
    @Order(5)
    void networkPoliciesBlockWhatTheyShouldAndTheSameRequestsPassWithoutThem() throws Exception {
        String host = cluster.node().layout().address();
        String routerIp = podIp(CollabRelease.SYSTEM, "app.kubernetes.io/name=collab-router");
        String gatewayIp = podIp(CollabRelease.SYSTEM, "app.kubernetes.io/name=collab-gateway");
        String seededB = cluster.admin()
                .pods()
                .inNamespace(CollabRelease.SESSIONS)
                .withName("seeded-b")
                .get()
                .getStatus()
                .getPodIP();
        try (FakeDns dns = new FakeDns(host)) {
            Map<String, Boolean> enforced = probes(host, routerIp, gatewayIp, seededB);
            assertThat(enforced)
                    .as("with the shipped policies")
                    .isEqualTo(Map.of(
                            "seeded -> router pod", false,
                            "seeded -> other session's opencode", false,
                            "gateway-mode -> provider directly", false,
                            "gateway-mode -> gateway", true,
                            "gateway-mode -> allowed host through the egress proxy", true,
                            "gateway-mode -> egress proxy answers 403 for a port not on the list", true,
                            "gateway-mode -> DNS server outside the cluster", false,
                            "gateway-mode -> cluster DNS", true));
            List<NetworkPolicy> saved = cluster.admin()
                    .network()
                    .v1()
                    .networkPolicies()
                    .inNamespace(CollabRelease.SESSIONS)
                    .list()
                    .getItems();
            cluster.admin()
                    .network()
                    .v1()
                    .networkPolicies()
                    .inNamespace(CollabRelease.SESSIONS)
                    .delete();
            try {
                RealNode.sleep(3000); // kube-router syncs on the watch event
                assertThat(probes(host, routerIp, gatewayIp, seededB))
                        .as("without them")
                        .allSatisfy((k, v) -> assertThat(v).as(k).isTrue());
            } finally {
                for (NetworkPolicy p : saved) {
                    p.getMetadata().setResourceVersion(null);
                    p.getMetadata().setUid(null);
                    p.getMetadata().setCreationTimestamp(null);
                    p.getMetadata().setManagedFields(null);
                    cluster.admin().resource(p).create();
                }
            }
            RealNode.sleep(3000);
            assertThat(probes(host, routerIp, gatewayIp, seededB))
                    .as("restored")
                    .isEqualTo(enforced);
        }
    }

    @Test
    @Order(6)
    void operatorPodKilledWhileFiftySessionsAreCreatedEverySessionEndsRunningAndNoChildIsCreatedTwice()
            throws Exception {
        // room for 50 opencode processes (about 300 MiB each) on this machine
        for (String name : List.of("seeded-a", "seeded-b", "gw-a", "gw-b")) {
            cluster.admin()
                    .resources(CollabSession.class)
                    .inNamespace(CollabRelease.SESSIONS)
                    .withName(name)
                    .delete();
        }
        long mark = cluster.plane().auditLog().mark();
        String killed = leaderPod();
        for (int i = 0; i < FLEET; i++) {
            sessions.create(
                    fleet(i), "fleet" + i + "@example.com", "sk-ant-node-fleet-" + i, CredentialsMode.Seeded, null);
            if (i == 10) {
                cluster.kubectl()
                        .run("delete", "pod", "-n", CollabRelease.SYSTEM, killed, "--grace-period=0", "--force")
                        .orFail();
            }
        }
        for (int i = 0; i < FLEET; i++) {
            sessions.await(fleet(i), NodeSessions::running, Duration.ofMinutes(10));
        }
        String operator = dev.collab.testing.AuditLog.serviceAccount(CollabRelease.SYSTEM, "collab-operator");
        Map<String, List<Integer>> creates =
                cluster
                        .plane()
                        .auditLog()
                        .writes(mark, e -> e.by(operator) && e.name().startsWith("fleet-"))
                        .stream()
                        .filter(e ->
                                e.verb().equals("create") && e.subresource().isEmpty())
                        .filter(e -> List.of("pods", "secrets", "persistentvolumeclaims")
                                .contains(e.resource()))
                        .collect(java.util.stream.Collectors.groupingBy(
                                e -> e.resource() + "/" + e.name(),
                                java.util.stream.Collectors.mapping(
                                        dev.collab.testing.AuditLog.Event::code,
                                        java.util.stream.Collectors.toList())));
        System.out.println("NODE failover: children whose create was not answered 201: "
                + creates.entrySet().stream()
                        .filter(c -> !c.getValue().contains(201))
                        .toList());
        // every child was created by the operator, and the operators never both succeeded: a create cut off by the
        // kill may be stored without its 201 reaching the log (the new leader then finds the object, 409)
        assertThat(creates).as("children of %d sessions", FLEET).hasSize(3 * FLEET);
        assertThat(creates)
                .as("children created more than once")
                .allSatisfy((k, codes) ->
                        assertThat(codes.stream().filter(c -> c == 201)).hasSizeLessThanOrEqualTo(1));
        for (int i = 0; i < FLEET; i++) {
            String uid = cluster.admin()
                    .resources(CollabSession.class)
                    .inNamespace(CollabRelease.SESSIONS)
                    .withName(fleet(i))
                    .get()
                    .getMetadata()
                    .getUid();
            for (var child : List.of(
                    cluster.admin()
                            .pods()
                            .inNamespace(CollabRelease.SESSIONS)
                            .withName(fleet(i))
                            .get(),
                    cluster.admin()
                            .secrets()
                            .inNamespace(CollabRelease.SESSIONS)
                            .withName(fleet(i) + "-access")
                            .get(),
                    cluster.admin()
                            .persistentVolumeClaims()
                            .inNamespace(CollabRelease.SESSIONS)
                            .withName(fleet(i) + "-home")
                            .get())) {
                assertThat(child).as("a child of %s", fleet(i)).isNotNull();
                assertThat(child.getMetadata().getOwnerReferences())
                        .as(
                                "%s %s is controlled by its session",
                                child.getKind(), child.getMetadata().getName())
                        .anySatisfy(o -> {
                            assertThat(o.getUid()).isEqualTo(uid);
                            assertThat(o.getController()).isTrue();
                        });
            }
        }
        assertThat(leaderPod()).as("the Lease moved to another operator pod").isNotEqualTo(killed);
    }

    @Test
    @Order(7)
    void helmUpgradeToANewAppImageRestartsNoSession() throws Exception {
        List<String> watched = java.util.stream.IntStream.range(0, UPGRADE_SESSIONS)
                .mapToObj(CollabOnNodeIT::fleet)
                .toList();
        // the fleet beyond the watched sessions goes first: 50 idle opencode processes answering a readiness probe
        // every second, plus three JVMs starting, overload 2 cores (load average above 100 measured)
        deleteFleet(UPGRADE_SESSIONS, FLEET);
        Map<String, String> uids = new java.util.HashMap<>();
        for (String name : watched) {
            sessions.await(name, NodeSessions::running, START);
            uids.put(
                    name,
                    cluster.admin()
                            .pods()
                            .inNamespace(CollabRelease.SESSIONS)
                            .withName(name)
                            .get()
                            .getMetadata()
                            .getUid());
        }
        // a new tag of the app image, as a release pipeline would push it
        String next = cluster.images().app() + "-next";
        cluster.node().ctr("images", "tag", "--force", cluster.images().app(), next);
        // A session without endpoint while its pod is Ready is the operator's doing (the loss it must keep short);
        // without endpoint while the kubelet reports the pod not Ready (readiness probe unanswered on the overloaded
        // node) the operator only reports what the kubelet says.
        Map<String, java.time.Instant> withdrawnSince = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, Duration> operatorLoss = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, java.util.Set<String>> kubeletLoss = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean watching = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread watcher = new Thread(
                () -> {
                    while (watching.get()) {
                        for (String name : watched) {
                            CollabSession s = sessions.get(name);
                            java.time.Instant now = java.time.Instant.now();
                            if (s != null
                                    && s.getStatus() != null
                                    && s.getStatus().getEndpoint() != null) {
                                withdrawnSince.remove(name);
                                continue;
                            }
                            Pod pod = cluster.admin()
                                    .pods()
                                    .inNamespace(CollabRelease.SESSIONS)
                                    .withName(name)
                                    .get();
                            java.time.Instant readySince = readySince(pod);
                            withdrawnSince.putIfAbsent(name, now);
                            if (readySince == null) {
                                kubeletLoss
                                        .computeIfAbsent(name, n -> new java.util.concurrent.ConcurrentSkipListSet<>())
                                        .add(readyCondition(s));
                                continue;
                            }
                            java.time.Instant lost = withdrawnSince.computeIfAbsent(name, n -> now);
                            java.time.Instant since = readySince.isAfter(lost) ? readySince : lost;
                            operatorLoss.merge(
                                    name, Duration.between(since, now), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                        }
                        RealNode.sleep(250);
                    }
                },
                "endpoint-watch");
        watcher.start();
        try {
            var values = CollabRelease.values(
                    cluster, next, "http://" + cluster.node().layout().address() + ":443");
            CollabRelease.upgrade(cluster, values);
            RealNode.sleep(10_000); // the new operator leader reconciles every session once
        } finally {
            watching.set(false);
            watcher.join();
        }
        assertThat(cluster.admin()
                        .apps()
                        .deployments()
                        .inNamespace(CollabRelease.SYSTEM)
                        .withName("collab-operator")
                        .get()
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage())
                .isEqualTo(next);
        for (String name : watched) {
            Pod pod = cluster.admin()
                    .pods()
                    .inNamespace(CollabRelease.SESSIONS)
                    .withName(name)
                    .get();
            assertThat(pod.getMetadata().getUid())
                    .as("%s's pod after the upgrade", name)
                    .isEqualTo(uids.get(name));
            assertThat(pod.getStatus().getContainerStatuses()).allMatch(c -> c.getRestartCount() == 0);
        }
        System.out.println("NODE helm upgrade: sessions without endpoint while the kubelet reported their pod not"
                + " Ready (what the operator said then): " + kubeletLoss);
        System.out.println("NODE helm upgrade: sessions without endpoint while their pod was Ready: " + operatorLoss);
        assertThat(operatorLoss)
                .as("sessions whose Ready pod had no published endpoint during the upgrade, and for how long")
                .allSatisfy((name, d) -> assertThat(d).isLessThan(ENDPOINT_LOSS_BOUND));
    }

    private static String readyCondition(CollabSession s) {
        if (s == null || s.getStatus() == null || s.getStatus().getConditions() == null) {
            return "no status";
        }
        return s.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()))
                .map(c -> "Ready=" + c.getStatus() + " " + c.getReason() + " (" + c.getMessage() + ")")
                .findFirst()
                .orElse("no Ready condition");
    }

    /** When the pod's Ready condition last turned True, or null while it is not Ready (or the pod is gone). */
    private static java.time.Instant readySince(Pod pod) {
        if (pod == null || pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return null;
        }
        return pod.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))
                .map(c -> c.getLastTransitionTime() == null
                        ? java.time.Instant.now()
                        : java.time.Instant.parse(c.getLastTransitionTime()))
                .findFirst()
                .orElse(null);
    }

    @Test
    @Order(8)
    void createToFirstAnswerThroughTheRouter() throws Exception {
        deleteFleet(0, FLEET);
        List<Long> millis = new java.util.ArrayList<>();
        for (int i = 0; i < MEASURED; i++) {
            String name = "first-" + i;
            java.time.Instant created = java.time.Instant.now();
            sessions.create(name, "first" + i + "@example.com", "sk-ant-node-first-" + i, CredentialsMode.Seeded, null);
            String token = null;
            while (token == null) {
                try {
                    token = sessions.token(name);
                } catch (RuntimeException e) {
                    RealNode.sleep(100); // the access Secret comes with the session's first reconcile
                }
            }
            String bearer = token;
            awaitOk(name + " health", () -> sessions.send("GET", "/s/" + name + "/global/health", bearer, null));
            millis.add(Duration.between(created, java.time.Instant.now()).toMillis());
            cluster.admin()
                    .resources(CollabSession.class)
                    .inNamespace(CollabRelease.SESSIONS)
                    .withName(name)
                    .delete();
        }
        List<Long> sorted = millis.stream().sorted().toList();
        System.out.printf(
                "NODE create -> first answer through the router, %d sessions one at a time: p50 %d ms, p95 %d ms,"
                        + " max %d ms (all: %s)%n",
                MEASURED,
                sorted.get(sorted.size() / 2),
                sorted.get((int) Math.ceil(sorted.size() * 0.95) - 1),
                sorted.get(sorted.size() - 1),
                millis);
        assertThat(millis).hasSize(MEASURED);
    }

    private String leaderPod() {
        var lease = cluster.admin()
                .leases()
                .inNamespace(CollabRelease.SYSTEM)
                .withName("collab-session-operator")
                .get();
        String holder = lease == null ? null : lease.getSpec().getHolderIdentity();
        return cluster
                .admin()
                .pods()
                .inNamespace(CollabRelease.SYSTEM)
                .withLabel("app.kubernetes.io/name", "collab-operator")
                .list()
                .getItems()
                .stream()
                .map(p -> p.getMetadata().getName())
                .filter(n -> holder != null && holder.startsWith(n))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no operator pod holds the Lease (holder " + holder + ")"));
    }

    /** Deletes the fleet's sessions {@code from} (inclusive) to {@code to} and waits until their pods are gone. */
    private void deleteFleet(int from, int to) throws Exception {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = from; i < to; i++) {
            names.add(fleet(i));
            cluster.admin()
                    .resources(CollabSession.class)
                    .inNamespace(CollabRelease.SESSIONS)
                    .withName(fleet(i))
                    .delete();
        }
        awaitGone(
                "the pods of fleet sessions " + from + " to " + (to - 1),
                () -> cluster.admin().pods().inNamespace(CollabRelease.SESSIONS).list().getItems().stream()
                        .filter(p -> names.contains(p.getMetadata().getName()))
                        .findAny()
                        .orElse(null));
    }

    static String fleet(int i) {
        return "fleet-" + i;
    }

    private Map<String, Boolean> probes(String host, String routerIp, String gatewayIp, String seededB) {
        Map<String, Boolean> out = new java.util.LinkedHashMap<>();
        out.put("seeded -> router pod", tcp("seeded-a", routerIp, 8080));
        out.put("seeded -> other session's opencode", tcp("seeded-a", seededB, 4096));
        out.put("gateway-mode -> provider directly", tcp("gw-a", host, 443));
        out.put("gateway-mode -> gateway", tcp("gw-a", gatewayIp, 8080));
        out.put("gateway-mode -> allowed host through the egress proxy", tunnel("gw-a", host + ":443"));
        out.put(
                "gateway-mode -> egress proxy answers 403 for a port not on the list",
                connectThroughProxy("gw-a", host + ":8443").contains("proxy: HTTP/1.1 403"));
        out.put(
                "gateway-mode -> DNS server outside the cluster",
                sessions.exec("gw-a", FakeDns.queryScript(host)).out().contains("1234"));
        out.put(
                "gateway-mode -> cluster DNS",
                sessions.exec("gw-a", "getent hosts kubernetes.default.svc.cluster.local")
                        .out()
                        .contains("10.96.0.1"));
        return out;
    }

    /**
     * A CONNECT through the pod's own HTTPS_PROXY (bash only: the session image has no curl), then an HTTP request
     * inside the tunnel: true when the far side answered with a status line of its own.
     */
    private boolean tunnel(String pod, String target) {
        String out = connectThroughProxy(pod, target);
        return out.contains("proxy: HTTP/1.1 200") && out.contains("far: HTTP/1.1");
    }

    private String connectThroughProxy(String pod, String target) {
        String script = "p=${HTTPS_PROXY#http://}; cred=${p%@*}; hp=${p##*@}; "
                + "exec 3<>/dev/tcp/${hp%:*}/${hp##*:} || exit 1; "
                + "printf 'CONNECT " + target + " HTTP/1.1\\r\\nHost: " + target
                + "\\r\\nProxy-Authorization: Basic %s\\r\\n\\r\\n' \"$(printf %s \"$cred\" | base64 -w0)\" >&3; "
                + "read -t 5 -r status <&3; echo \"proxy: $status\"; "
                + "case \"$status\" in *' 200'*) ;; *) exit 0;; esac; "
                + "while read -t 5 -r line <&3 && [ \"${line%$'\\r'}\" != '' ]; do :; done; "
                + "printf 'GET /tunnel-probe HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3; "
                + "read -t 5 -r far <&3; echo \"far: $far\"";
        return sessions.exec(pod, script).out();
    }

    private boolean tcp(String pod, String ip, int port) {
        return sessions.exec(pod, "timeout 3 bash -c '</dev/tcp/" + ip + "/" + port + "' && echo open")
                .out()
                .contains("open");
    }

    private String podIp(String namespace, String selector) {
        String[] kv = selector.split("=");
        return cluster.admin()
                .pods()
                .inNamespace(namespace)
                .withLabel(kv[0], kv[1])
                .list()
                .getItems()
                .get(0)
                .getStatus()
                .getPodIP();
    }

    static void awaitGone(String what, java.util.function.Supplier<Object> lookup) {
        java.time.Instant end = java.time.Instant.now().plus(START);
        while (lookup.get() != null) {
            if (java.time.Instant.now().isAfter(end)) {
                throw new AssertionError(what + " still there after " + START);
            }
            RealNode.sleep(500);
        }
    }

    interface Call {
        java.net.http.HttpResponse<String> send() throws Exception;
    }

    static void awaitOk(String what, Call call) throws Exception {
        java.time.Instant end = java.time.Instant.now().plus(START);
        java.net.http.HttpResponse<String> last = null;
        while (java.time.Instant.now().isBefore(end)) {
            last = call.send();
            if (last.statusCode() == 200) {
                return;
            }
            RealNode.sleep(1000);
        }
        throw new AssertionError(
                what + ": last answer " + (last == null ? "none" : last.statusCode() + " " + last.body()));
    }
}
