package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.EventReasons;
import dev.collab.api.SessionUsage;
import dev.collab.testing.FakeAuthorizationServer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 27 as a person does it, with the real opencode: local mode (operator, router, gateway, local node in one JVM),
 * a FAKE OAuth provider ({@link FakeAuthorizationServer}: login page with Approve, code to paste, token endpoint) and
 * the FAKE Anthropic endpoint ({@link FakeAnthropic}) as the provider. An owner has a Gateway-mode session and no
 * credential Secret. In headless Debian chromium (playwright-core, tools/browser-test/accounts-page.mjs) the owner
 * opens the accounts page with the session's token, logs an account in (the Secret is created, the session starts and
 * answers with that account's token), sees it marked ReloginRequired after the provider refuses its refresh token,
 * logs it in again and sees it Active; the same opencode process then answers with the new token: nothing restarted.
 * Screenshots: target/accounts-page/*.png.
 */
@RealLocalMode
class AccountsPageIT {
    private static final String NS = LocalModeRun.NS;
    private static final String NAME = "dora";
    private static final String OWNER = "dora@example.com";
    private static final Path WORK = Path.of("target/accounts-page").toAbsolutePath();
    private static final Path TOOL = BrowserTool.DIR;

    private static FakeAuthorizationServer provider;
    private static FakeAnthropic anthropic;
    private static LocalModeRun app;

    @BeforeAll
    static void startLocalMode() throws Exception {
        BrowserTool.assumeAvailable("AccountsPageIT");
        provider = new FakeAuthorizationServer();
        // an access token always inside refresh-ahead (5 min): every request makes the gateway refresh it
        provider.expiresIn(120);
        anthropic = new FakeAnthropic();
        app = LocalModeRun.start(
                WORK,
                Map.of(
                        "COLLAB_GATEWAY_UPSTREAM",
                        "http://127.0.0.1:" + anthropic.port() + "/provider",
                        "COLLAB_GATEWAY_USAGE_FLUSH_INTERVAL",
                        "1s",
                        "COLLAB_GATEWAY_ACCOUNTS_OAUTH_AUTHORIZE_URL",
                        provider.authorizeUrl(),
                        "COLLAB_GATEWAY_ACCOUNTS_OAUTH_TOKEN_URL",
                        provider.tokenUrl(),
                        "COLLAB_GATEWAY_ACCOUNTS_OAUTH_CLIENT_ID",
                        FakeAuthorizationServer.CLIENT_ID,
                        // Claude's paste flow: the provider shows the code, the person pastes it into the page
                        "COLLAB_GATEWAY_ACCOUNTS_OAUTH_REDIRECT_URI",
                        "https://provider.example/oauth/code/callback"));
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        try {
            if (app != null) {
                app.stop(List.of(NAME));
            }
        } finally {
            if (anthropic != null) {
                anthropic.close();
            }
            if (provider != null) {
                provider.close();
            }
        }
    }

    @Test
    void anOwnerLogsInAnAccountSeesItNeedALoginAndLogsItInAgainWhileTheSessionKeepsItsProcess() throws Exception {
        createSessionWithoutCredentials();
        String token = LocalModeRun.await("dora's access token", () -> app.accessToken(NAME));
        String page = app.routerUrl() + "/collab/accounts/" + URLEncoder.encode(OWNER, StandardCharsets.UTF_8)
                + "/page#token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        try (Browser person = new Browser(page)) {
            assertEquals("ok Account account-1 is logged in.", person.send("login"));
            person.send("screenshot 1-logged-in");

            long pid = app.worker(LocalModeRun.await("dora Ready on the new account", () -> app.readyPid(NAME)));
            app.prompt(NAME, token);
            String first = lastBearer();
            assertTrue(first.startsWith("fat-"), "answered with the logged-in account's token: " + first);

            provider.refuseRefreshes(true); // the provider revoked the account's refresh token
            app.prompt(NAME, token); // goes on with the current access token while the refresh is refused
            assertEquals("ok account-1 ReloginRequired", person.send("await account-1 ReloginRequired"));
            person.send("screenshot 2-relogin-required");
            assertTrue(
                    app.client().v1().events().inNamespace(NS).list().getItems().stream()
                            .anyMatch(e -> EventReasons.RELOGIN_REQUIRED.equals(e.getReason())
                                    && e.getMessage().contains("/collab/accounts/" + OWNER + "/login")),
                    "the ReloginRequired Event names the way back");

            provider.refuseRefreshes(false);
            provider.expiresIn(28_800); // the new login's token needs no refresh during the test
            assertEquals("ok Account account-1 is logged in.", person.send("relogin account-1"));
            assertEquals("ok account-1 Active", person.send("await account-1 Active"));
            person.send("screenshot 3-logged-in-again");

            app.prompt(NAME, token);
            String after = lastBearer();
            assertNotEquals(first, after, "the re-login's token answered");
            assertEquals(pid, (long) app.readyPid(NAME), "the same opencode process: nothing restarted");
            SessionUsage usage = LocalModeRun.await("dora's usage names the account", () -> {
                CollabSession cs = app.client()
                        .resources(CollabSession.class)
                        .inNamespace(NS)
                        .withName(NAME)
                        .get();
                SessionUsage u = cs.getStatus().getUsage();
                return u != null && u.getRequests() >= 3 ? u : null;
            });
            assertEquals("account-1", usage.getLastAccount());
            assertTrue(usage.getAccounts().get("account-1").getRequests() >= 3, "per-account usage: " + usage);
            System.out.println("AccountsPageIT: logged in, ReloginRequired, logged in again; worker " + pid
                    + " answered throughout; status.usage.accounts "
                    + usage.getAccounts().keySet());
        }
    }

    private static String lastBearer() {
        List<FakeAnthropic.Recorded> mine = anthropic.requests().stream()
                .filter(r -> r.mentions("Say hello to " + NAME))
                .toList();
        assertTrue(!mine.isEmpty(), "dora's prompts reached the provider");
        return mine.get(mine.size() - 1).bearer();
    }

    private static void createSessionWithoutCredentials() {
        CollabSessionSpec spec = dev.collab.testing.Specs.offlineGateway(OWNER, NAME + "-credentials");
        app.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, NAME, spec))
                .create();
    }

    /** tools/browser-test/accounts-page.mjs: one command per line, one answer per line. */
    private static final class Browser implements AutoCloseable {
        private final Process process;
        private final BufferedWriter in;
        private final BufferedReader out;

        Browser(String page) throws Exception {
            Files.createDirectories(WORK);
            process = new ProcessBuilder("node", "accounts-page.mjs", page, WORK.toString())
                    .directory(TOOL.toFile())
                    .redirectError(ProcessBuilder.Redirect.appendTo(
                            WORK.resolve("browser.log").toFile()))
                    .start();
            in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        String send(String command) throws Exception {
            in.write(command);
            in.newLine();
            in.flush();
            String answer = out.readLine();
            if (answer == null || !answer.startsWith("ok")) {
                throw new AssertionError(command + ": " + answer + " (see " + WORK.resolve("browser.log") + ")");
            }
            return answer;
        }

        @Override
        public void close() throws Exception {
            try {
                in.write("quit");
                in.newLine();
                in.flush();
            } catch (java.io.IOException ignored) {
                // already gone
            }
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }
}
