package dev.collab.operator;

import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Pure: the environment of a Gateway-mode worker. The provider base URL is the gateway's, and every other way out
 * is the gateway's egress proxy (DESIGN.md section 8): the proxy variables, in both spellings because curl reads
 * only the lower-case http_proxy and Node/Bun and Python read either, come from the session's gateway-home Secret,
 * since their URL holds the session's placeholder as proxy password. spec.env cannot replace any of them: a session
 * that pointed its proxy elsewhere would only lose its way out (the NetworkPolicy allows nothing else), but one
 * that pointed ANTHROPIC_BASE_URL elsewhere would send its placeholder to a stranger.
 */
final class GatewayEnv {
    static final List<String> PROXY_VARIABLES = List.of("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy");
    static final List<String> NO_PROXY_VARIABLES = List.of("NO_PROXY", "no_proxy");
    /** The egress proxy's address without credential, for people and for the pod spec's hash. */
    static final String PROXY_ADDRESS = "COLLAB_EGRESS_PROXY";

    private static final Set<String> OWNED = owned();

    private GatewayEnv() {}

    /** spec.env without the names this class owns, then the gateway's variables. */
    static List<EnvVar> of(String session, List<EnvVar> specEnv, GatewayLink link) {
        List<EnvVar> env = new ArrayList<>();
        specEnv.stream().filter(e -> !OWNED.contains(e.getName())).forEach(env::add);
        // opencode.json in HOME names the same URL
        env.add(plain("ANTHROPIC_BASE_URL", link.baseUrlV1()));
        for (String name : PROXY_VARIABLES) {
            env.add(new EnvVarBuilder()
                    .withName(name)
                    .withNewValueFrom()
                    .withNewSecretKeyRef(
                            CollabLabels.EGRESS_PROXY_URL_KEY, CollabLabels.gatewayHomeSecretName(session), false)
                    .endValueFrom()
                    .build());
        }
        // no credential in it; in the pod spec (and so its hash) so that a pod whose proxy moved is replaced, since a
        // running process keeps the variables it started with
        env.add(plain(PROXY_ADDRESS, link.egressUrl()));
        String direct = noProxy(link);
        NO_PROXY_VARIABLES.forEach(name -> env.add(plain(name, direct)));
        return env;
    }

    /** What is reached without the proxy: the gateway's provider endpoint and the pod itself. */
    static String noProxy(GatewayLink link) {
        return String.join(",", link.gatewayHost(), "localhost", "127.0.0.1", "::1");
    }

    private static Set<String> owned() {
        List<String> names = new ArrayList<>(PROXY_VARIABLES);
        names.addAll(NO_PROXY_VARIABLES);
        names.add(PROXY_ADDRESS);
        names.add("ANTHROPIC_BASE_URL");
        return Set.copyOf(names);
    }

    private static EnvVar plain(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }
}
