package dev.collab.local;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A container's environment as the kubelet computes it: envFrom, env, valueFrom references, $(VAR) expansion. */
final class ContainerEnv {
    private static final Pattern VAR_REF = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)");
    private static final Pattern LABEL_REF = Pattern.compile("metadata\\.(labels|annotations)\\['([^']+)'\\]");

    private ContainerEnv() {
    }

    static Map<String, String> resolve(KubernetesClient client, Pod pod, Container container) throws PodSetupException {
        String ns = pod.getMetadata().getNamespace();
        Map<String, String> env = new LinkedHashMap<>();
        if (container.getEnvFrom() != null) {
            for (EnvFromSource from : container.getEnvFrom()) {
                String prefix = from.getPrefix() == null ? "" : from.getPrefix();
                if (from.getSecretRef() != null) {
                    Secret s = client.secrets().inNamespace(ns).withName(from.getSecretRef().getName()).get();
                    if (s == null) {
                        if (!Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
                            throw configError("secret \"" + from.getSecretRef().getName() + "\" not found");
                        }
                    } else if (s.getData() != null) {
                        s.getData().forEach((k, v) -> env.put(prefix + k, decode(v)));
                    }
                }
                if (from.getConfigMapRef() != null) {
                    ConfigMap m = client.configMaps().inNamespace(ns).withName(from.getConfigMapRef().getName()).get();
                    if (m == null) {
                        if (!Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
                            throw configError("configmap \"" + from.getConfigMapRef().getName() + "\" not found");
                        }
                    } else if (m.getData() != null) {
                        m.getData().forEach((k, v) -> env.put(prefix + k, v));
                    }
                }
            }
        }
        if (container.getEnv() != null) {
            for (EnvVar var : container.getEnv()) {
                String value = var.getValueFrom() != null ? valueFrom(client, pod, var) : expand(var.getValue(), env);
                if (value != null) {
                    env.put(var.getName(), value);
                }
            }
        }
        return env;
    }

    private static String valueFrom(KubernetesClient client, Pod pod, EnvVar var) throws PodSetupException {
        EnvVarSource src = var.getValueFrom();
        String ns = pod.getMetadata().getNamespace();
        if (src.getSecretKeyRef() != null) {
            var ref = src.getSecretKeyRef();
            Secret s = client.secrets().inNamespace(ns).withName(ref.getName()).get();
            String raw = s == null || s.getData() == null ? null : s.getData().get(ref.getKey());
            if (raw == null && !Boolean.TRUE.equals(ref.getOptional())) {
                throw configError(s == null ? "secret \"" + ref.getName() + "\" not found"
                        : "couldn't find key " + ref.getKey() + " in Secret " + ns + "/" + ref.getName());
            }
            return raw == null ? null : decode(raw);
        }
        if (src.getConfigMapKeyRef() != null) {
            var ref = src.getConfigMapKeyRef();
            ConfigMap m = client.configMaps().inNamespace(ns).withName(ref.getName()).get();
            String value = m == null || m.getData() == null ? null : m.getData().get(ref.getKey());
            if (value == null && !Boolean.TRUE.equals(ref.getOptional())) {
                throw configError(m == null ? "configmap \"" + ref.getName() + "\" not found"
                        : "couldn't find key " + ref.getKey() + " in ConfigMap " + ns + "/" + ref.getName());
            }
            return value;
        }
        if (src.getFieldRef() != null) {
            String path = src.getFieldRef().getFieldPath();
            switch (path) {
                case "metadata.name":
                    return pod.getMetadata().getName();
                case "metadata.namespace":
                    return ns;
                case "metadata.uid":
                    return pod.getMetadata().getUid();
                case "spec.nodeName":
                    return LocalNodeSettings.NODE_NAME;
                case "spec.serviceAccountName":
                    return pod.getSpec().getServiceAccountName();
                case "status.podIP":
                case "status.hostIP":
                    return LocalNodeSettings.POD_IP;
                default:
                    Matcher m = LABEL_REF.matcher(path);
                    if (m.matches()) {
                        Map<String, String> map = "labels".equals(m.group(1))
                                ? pod.getMetadata().getLabels() : pod.getMetadata().getAnnotations();
                        return map == null ? "" : map.getOrDefault(m.group(2), "");
                    }
                    throw configError("unsupported fieldRef " + path);
            }
        }
        return ""; // resourceFieldRef: no limits are enforced locally
    }

    /** Kubernetes $(VAR) expansion against the variables defined so far; $$ escapes, unknown references stay. */
    static String expand(String value, Map<String, String> env) {
        if (value == null || !value.contains("$")) {
            return value == null ? "" : value;
        }
        Matcher m = VAR_REF.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) == null ? "\\$" : env.containsKey(m.group(1))
                    ? Matcher.quoteReplacement(env.get(m.group(1))) : Matcher.quoteReplacement(m.group());
            m.appendReplacement(out, replacement);
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private static PodSetupException configError(String message) {
        return new PodSetupException("CreateContainerConfigError", message);
    }
}
