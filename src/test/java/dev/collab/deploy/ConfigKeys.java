package dev.collab.deploy;

import dev.collab.config.CollabConfig;
import io.smallrye.config.WithName;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The environment variable names of every collab.* key of {@link CollabConfig}, derived from the
 * interface itself, so manifests that set an unknown (misspelt or removed) key fail a test.
 */
final class ConfigKeys {
    private ConfigKeys() {
    }

    static Set<String> envNames() {
        Set<String> names = new TreeSet<>();
        collect(CollabConfig.class, "collab", names);
        return names;
    }

    private static void collect(Class<?> group, String prefix, Set<String> names) {
        for (Method m : group.getDeclaredMethods()) {
            if (m.isDefault() || Modifier.isStatic(m.getModifiers()) || m.getParameterCount() > 0 || m.isSynthetic()) {
                continue;
            }
            WithName withName = m.getAnnotation(WithName.class);
            String key = prefix + "." + (withName != null ? withName.value() : kebab(m.getName()));
            Class<?> type = m.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == CollabConfig.class) {
                collect(type, key, names);
            } else {
                names.add(key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}
