package dev.collab.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfiles cannot be built here (no Docker daemon): check what ties them to the rest, the
 * Quarkus layout, the uid the manifests run as, and the opencode version the configuration names.
 */
class ImagesTest {
    static final Path DOCKER = Manifests.ROOT.resolve("src/main/docker");

    @Test
    void jvmImageMatchesQuarkusLayoutAndManifests() {
        String dockerfile = Manifests.read(DOCKER.resolve("Dockerfile.jvm"));
        for (String part : List.of(
                "target/quarkus-app/lib/",
                "target/quarkus-app/quarkus-run.jar",
                "target/quarkus-app/app/",
                "target/quarkus-app/quarkus/")) {
            assertTrue(dockerfile.contains("COPY " + part), "Dockerfile.jvm copies " + part);
        }
        assertTrue(dockerfile.contains("EXPOSE 8080"));
        Matcher user = Pattern.compile("(?m)^USER (\\d+)").matcher(dockerfile);
        assertTrue(user.find(), "numeric USER, so runAsNonRoot can be verified");
        long uid = Long.parseLong(user.group(1));
        assertTrue(uid > 0);
        for (var objects : List.of(KustomizeBaseTest.base(), ChartTest.render(null))) {
            for (Deployment d : Manifests.all(objects, Deployment.class)) {
                assertEquals(
                        uid,
                        d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser(),
                        d.getMetadata().getName() + " runs as the image's user");
            }
        }
        assertTrue(dockerfile.contains("-XX:MaxRAMPercentage="), "heap sized from the container limit");
    }

    /**
     * tools/images/build.sh builds these same files with local bases passed as build arguments: the defaults stay
     * the public images users build on, and the local opencode base is the release the session image pins.
     */
    @Test
    void baseImagesAreBuildArgumentsDefaultingToThePublicImages() {
        String jvm = Manifests.read(DOCKER.resolve("Dockerfile.jvm"));
        assertTrue(jvm.contains("ARG JRE_IMAGE=eclipse-temurin:17-jre\nFROM ${JRE_IMAGE}\n"), "Dockerfile.jvm");
        String session = Manifests.read(DOCKER.resolve("Dockerfile.session"));
        assertTrue(session.contains("ARG NODE_IMAGE=node:22-alpine\n"), "Dockerfile.session");
        assertTrue(session.contains("FROM ${NODE_IMAGE} AS plugins\n"), "Dockerfile.session");
        String opencode = Manifests.read(DOCKER.resolve("Dockerfile.opencode"));
        assertEquals(
                argDefault(session, "OPENCODE_VERSION"),
                argDefault(opencode, "OPENCODE_VERSION"),
                "Dockerfile.opencode installs the release Dockerfile.session pins");
        assertTrue(opencode.contains("ENTRYPOINT [\"opencode\"]"), "as the stock image");
        assertFalse(Pattern.compile("(?m)^USER ").matcher(opencode).find(), "any uid runs it, as the stock image");
    }

    private static String argDefault(String dockerfile, String name) {
        Matcher m = Pattern.compile("(?m)^ARG " + name + "=(\\S*)$").matcher(dockerfile);
        assertTrue(m.find(), "ARG " + name);
        return m.group(1);
    }

    @Test
    void sessionImageExtendsTheConfiguredOpencode() {
        String dockerfile = Manifests.read(DOCKER.resolve("Dockerfile.session"));
        String configured =
                Manifests.collabDefaults().get("collab.session.image"); // ghcr.io/anomalyco/opencode:1.18.33
        String version = configured.substring(configured.lastIndexOf(':') + 1);
        String repository = configured.substring(0, configured.lastIndexOf(':'));
        assertTrue(
                dockerfile.contains("ARG OPENCODE_VERSION=" + version),
                "same opencode version as collab.session.image");
        assertTrue(
                dockerfile.contains("ARG OPENCODE_IMAGE=" + repository + ":${OPENCODE_VERSION}"),
                "stock image by default, no fork");
        assertTrue(
                dockerfile.substring(dockerfile.lastIndexOf("FROM ")).startsWith("FROM ${OPENCODE_IMAGE}\n"),
                "the final stage extends OPENCODE_IMAGE");
        Matcher configDir =
                Pattern.compile("(?m)^ENV OPENCODE_CONFIG_DIR=(\\S+)").matcher(dockerfile);
        assertTrue(configDir.find(), "plugin preinstalled in an opencode config directory");
        assertFalse(
                configDir.group(1).startsWith("/home"), "outside HOME (the PVC hides whatever the image has there)");
        assertFalse(
                Pattern.compile("(?m)^(USER|ENTRYPOINT|WORKDIR|ENV HOME)")
                        .matcher(dockerfile.substring(dockerfile.lastIndexOf("FROM ")))
                        .find(),
                "the operator owns user, HOME and command");
    }
}
