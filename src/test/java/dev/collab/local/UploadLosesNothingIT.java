package dev.collab.local;

import static dev.collab.local.LocalModeRun.await;
import static dev.collab.local.LocalModeRun.b64;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 29, "a credential change loses nothing": a Seeded session gets prompts back to back through the router while
 * its credential Secret is uploaded again and again (each upload replaces its worker: endpoint withdrawn, old worker
 * drained, new one seeded); every prompt is answered, and after each upload the new key reaches the provider. Local
 * mode with the real opencode on the embedded API; the provider is {@link FakeAnthropic}.
 * Uploads: -Dcollab.it.uploads (default 10).
 */
@RealLocalMode
class UploadLosesNothingIT {
    private static final String NAME = "drain";
    private static final int UPLOADS = Integer.getInteger("collab.it.uploads", 10);

    private static FakeAnthropic anthropic;
    private static LocalModeRun local;

    @BeforeAll
    static void startLocalMode() throws Exception {
        anthropic = new FakeAnthropic();
        local = LocalModeRun.start(Path.of("target/upload-loses-nothing"), Map.of());
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        try {
            if (local != null) {
                local.stop(List.of(NAME));
            }
        } finally {
            if (anthropic != null) {
                anthropic.close();
            }
        }
    }

    @Test
    void promptsBackToBackAcrossUploadsAreAllAnswered() throws Exception {
        createSession(key(0));
        String token = await("access token", () -> local.accessToken(NAME));
        long pid = local.worker(await("Ready", () -> local.readyPid(NAME)));
        local.prompt(NAME, token);
        local.awaitConfigInstall(NAME); // opencode ignores SIGTERM while it installs after the first prompt

        AtomicBoolean prompting = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        List<String> lost = new CopyOnWriteArrayList<>();
        Thread prompter = new Thread(
                () -> {
                    while (prompting.get()) {
                        try {
                            local.prompt(NAME, token);
                            answered.incrementAndGet();
                        } catch (Throwable e) {
                            lost.add(e.getMessage());
                        }
                    }
                },
                "prompter");
        prompter.start();
        List<Long> toNewKey = new ArrayList<>();
        try {
            for (int i = 1; i <= UPLOADS; i++) {
                String key = key(i);
                int seen = anthropic.requests().size();
                long start = System.nanoTime();
                assertEquals(
                        200,
                        local.adminPut(NAME + "/credentials/auth.json", authJson(key))
                                .statusCode());
                pid = local.awaitReplaced(NAME, pid);
                await(
                        "upload " + i + ": the new key in use",
                        () -> anthropic
                                        .requests()
                                        .subList(seen, anthropic.requests().size())
                                        .stream()
                                        .anyMatch(r -> key.equals(r.apiKey()))
                                ? true
                                : null);
                toNewKey.add((System.nanoTime() - start) / 1_000_000);
                local.awaitConfigInstall(NAME);
            }
        } finally {
            prompting.set(false);
            prompter.join(200_000);
        }
        System.out.println("UPLOAD LOSES NOTHING: " + UPLOADS + " uploads, " + answered.get() + " prompts answered, "
                + lost.size() + " lost; upload -> new key at the provider (ms): " + toNewKey);
        assertEquals(List.of(), lost, "prompts lost across " + UPLOADS + " uploads");
    }

    private static void createSession(String key) {
        String config = "{\"autoupdate\":false,\"share\":\"disabled\",\"provider\":{\"anthropic\":{\"options\":"
                + "{\"baseURL\":\"http://127.0.0.1:" + anthropic.port() + "/" + NAME + "/v1\"}}}}";
        local.client()
                .secrets()
                .inNamespace(LocalModeRun.NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(NAME + "-credentials")
                        .withLabels(CollabLabels.credentialSecretLabels(NAME + "@example.com"))
                        .endMetadata()
                        .addToData("opencode.json", b64(config))
                        .addToData("auth.json", b64(authJson(key)))
                        .build())
                .create();
        CollabSessionSpec spec = Specs.seeded(NAME + "@example.com", NAME + "-credentials");
        spec.setEnv(dev.collab.testing.Specs.OFFLINE_OPENCODE);
        local.client()
                .resources(CollabSession.class)
                .inNamespace(LocalModeRun.NS)
                .resource(new CollabSession(LocalModeRun.NS, NAME, spec))
                .create();
    }

    private static String key(int i) {
        return String.format("sk-drain-%02d", i);
    }

    private static String authJson(String key) {
        return "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + key + "\"}}";
    }
}
