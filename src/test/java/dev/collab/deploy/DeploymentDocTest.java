package dev.collab.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/** DEPLOYMENT.md: the Argo CD health check it ships (run with LuaJ) and the items issue 6 asks it to cover. */
class DeploymentDocTest {
    static final String LUA = Manifests.read(Manifests.DEPLOY.resolve("gitops/argocd-collabsession-health.lua"));
    static final String DOC = Manifests.read(Manifests.ROOT.resolve("DEPLOYMENT.md"));

    /** Runs the health script the way Argo CD does: the object as global `obj`, the script returns {status, message}. */
    static Map<String, String> health(Map<String, Object> obj) {
        Globals globals = JsePlatform.standardGlobals();
        globals.set("obj", toLua(obj));
        LuaValue result = globals.load(LUA, "health.lua").call();
        return Map.of("status", result.get("status").tojstring(), "message", result.get("message").tojstring());
    }

    @SuppressWarnings("unchecked")
    static LuaValue toLua(Object value) {
        if (value instanceof Map<?, ?> map) {
            LuaTable table = new LuaTable();
            ((Map<String, Object>) map).forEach((k, v) -> table.set(k, toLua(v)));
            return table;
        }
        if (value instanceof List<?> list) {
            LuaTable table = new LuaTable();
            for (int i = 0; i < list.size(); i++) {
                table.set(i + 1, toLua(list.get(i)));
            }
            return table;
        }
        if (value instanceof Boolean b) {
            return LuaValue.valueOf(b);
        }
        if (value instanceof Integer n) {
            return LuaValue.valueOf(n);
        }
        return value == null ? LuaValue.NIL : LuaValue.valueOf(value.toString());
    }

    static Map<String, Object> session(Map<String, Object> spec, Map<String, Object> status) {
        Map<String, Object> obj = new java.util.HashMap<>();
        obj.put("metadata", Map.of("name", "alice", "generation", 3));
        obj.put("spec", spec);
        if (status != null) {
            obj.put("status", status);
        }
        return obj;
    }

    static Map<String, Object> condition(String type, String status, String reason) {
        return Map.of("type", type, "status", status, "reason", reason, "message", "m");
    }

    static Map<String, Object> status(String phase, Object... extra) {
        Map<String, Object> status = new java.util.HashMap<>(Map.of("phase", phase, "observedGeneration", 3));
        for (int i = 0; i < extra.length; i += 2) {
            status.put((String) extra[i], extra[i + 1]);
        }
        return status;
    }

    @Test
    void healthFollowsConditions() {
        Map<String, Object> spec = Map.of("owner", "alice@example.com");
        assertEquals("Progressing", health(session(spec, null)).get("status"), "no status yet");
        assertEquals("Progressing", health(session(spec, Map.of("phase", "Running", "observedGeneration", 2,
                "conditions", List.of(condition("Ready", "True", "PodReady"))))).get("status"), "old generation");
        assertEquals("Healthy", health(session(spec, status("Running",
                "conditions", List.of(condition("Ready", "True", "PodReady"), condition("CredentialsReady", "True", "Found"))))).get("status"));
        Map<String, String> missing = health(session(spec, status("Pending",
                "conditions", List.of(condition("CredentialsReady", "False", "SecretNotFound")))));
        assertEquals("Degraded", missing.get("status"));
        assertTrue(missing.get("message").contains("SecretNotFound"), missing.get("message"));
        for (String reason : List.of("NoKnownCredentialKeys", "InvalidIdleTimeout", "ForbiddenEnv", "ImagePullBackOff",
                "CrashLoopBackOff", "InitContainerFailed", "StartTimeout")) {
            assertEquals("Degraded", health(session(spec, status("Starting",
                    "conditions", List.of(condition("Ready", "False", reason))))).get("status"), reason);
        }
        assertEquals("Progressing", health(session(spec, status("Starting",
                "conditions", List.of(condition("Ready", "False", "Unschedulable"))))).get("status"), "autoscaler may add a node");
        assertEquals("Degraded", health(session(spec, status("Failed"))).get("status"));
        for (String reason : List.of("IdleTimeout", "CapacityEvicted")) {
            Map<String, String> stopped = health(session(spec, status("Stopped", "stoppedReason", reason,
                    "conditions", List.of(condition("Ready", "False", reason), condition("Idle", "True", reason)))));
            assertEquals("Healthy", stopped.get("status"), reason + " wakes on demand");
            assertTrue(stopped.get("message").contains(reason));
        }
        assertEquals("Suspended", health(session(Map.of("owner", "a", "suspend", true),
                status("Stopped", "stoppedReason", "Suspended"))).get("status"));
    }

    @Test
    void docShipsTheSameHealthCheck() {
        String indented = LUA.lines().map(l -> l.isEmpty() ? "" : "    " + l).collect(Collectors.joining("\n"));
        assertTrue(DOC.contains(indented), "DEPLOYMENT.md's argocd-cm block differs from deploy/gitops/argocd-collabsession-health.lua");
    }

    @Test
    void docCoversTheIssue() {
        for (String item : List.of("kubectl apply -k deploy/", "helm install", "CRD first", "seed-home", "refreshed",
                "/collab/session/", "ignoreDifferences", "collab.dev/last-activity", "RespectIgnoreDifferences",
                "Security model", "cannot be narrowed by label", "169.254.169.254/32", "6443",
                "SecretNotFound", "NoKnownCredentialKeys", "InvalidIdleTimeout", "ForbiddenEnv", "ImagePullBackOff",
                "CrashLoopBackOff", "Unschedulable", "InitContainerFailed", "StartTimeout", "IdleTimeout", "CapacityEvicted",
                "320 MiB", "560 MiB", "512Mi", "1Gi", "250 MiB", "285 MiB")) {
            assertTrue(DOC.contains(item), "DEPLOYMENT.md does not mention " + item);
        }
    }
}
