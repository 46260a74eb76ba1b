package dev.collab.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.quarkus.kubernetes.client.KubernetesClientObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.IOException;

/**
 * The Kubernetes client decodes every short string value through {@link String#intern()}. Informer caches hold the
 * same values many times over: each child repeats its session's name and uid (labels, owner reference), every object
 * its namespace, label values, condition types and reasons, and each decoding made a new copy. Jackson already
 * interns property names (map keys included); this does the same for values of up to {@value #MAX_LENGTH}
 * characters. The JDK's string table holds them weakly: a value no cached object uses any more is collected.
 * Measured in bench/operator-scale (RESULTS.md, 5,000 sessions).
 */
@Singleton
public class InternedStrings implements KubernetesClientObjectMapperCustomizer {
    static final int MAX_LENGTH = 128;

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(module());
    }

    /** The module, for mappers built outside CDI (tests, the bench). */
    public static SimpleModule module() {
        return new SimpleModule("collab-interned-strings").addDeserializer(String.class, new Interning());
    }

    static final class Interning extends StringDeserializer {
        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String value = super.deserialize(p, ctxt);
            return value != null && value.length() <= MAX_LENGTH ? value.intern() : value;
        }
    }
}
