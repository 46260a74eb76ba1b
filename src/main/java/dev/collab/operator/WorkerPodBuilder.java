package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialKey;
import dev.collab.api.CredentialsMode;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;

/**
 * Desired worker Pod `<name>`: opencode serve with HOME on the session PVC, seeded from this session's
 * own credential Secret and nothing else, under Pod Security "restricted".
 */
public final class WorkerPodBuilder {
    public static final String HOME = "/home/collab";
    public static final String CREDENTIALS_DIR = "/var/run/collab/credentials";
    public static final String INIT_CONTAINER = "seed-home";
    public static final String CONTAINER = "opencode";
    static final String HOME_VOLUME = "home";
    static final String CREDENTIALS_VOLUME = "credentials";
    static final String TMP_VOLUME = "tmp";
    /** opencode may ignore SIGTERM during a background install (docs/DESIGN.md section 7). */
    static final long GRACE_SECONDS = 15;
    /**
     * Answered only once opencode's request handler is attached (it accepts TCP 0.5-1.9 s earlier and drops what
     * arrives in between) and exempt from the server password: the pod is Ready only when a request is answered.
     */
    public static final String READINESS_PATH = "/site.webmanifest";
    /** Measured (README "Readiness"): the page takes ~40 ms, under 0.6 s while a prompt and an install run. */
    static final int PROBE_PERIOD_SECONDS = 1;

    static final int PROBE_TIMEOUT_SECONDS = 2;
    /**
     * Ten seconds without an answer before a Ready pod is taken out of the router: on the real node, 50 sessions and
     * two starting JVMs on 2 cores left opencode's page unanswered for 3-10 s, and a threshold of 3 withdrew every
     * session's endpoint for 12-36 s. Costs nothing at start (one success makes a pod Ready).
     */
    static final int PROBE_FAILURE_THRESHOLD = 10;

    private WorkerPodBuilder() {}

    /** The pod for a valid spec and ready credentials, with its spec hash recorded in an annotation. */
    public static Pod desired(CollabSession session, OperatorSettings settings, CredentialsState credentials) {
        return desired(
                session,
                settings,
                credentials,
                WorkerNames.of(session.getMetadata().getName()));
    }

    /** The same for a worker with other names (a claimed warm worker, see {@link WorkerNames}). */
    public static Pod desired(
            CollabSession session, OperatorSettings settings, CredentialsState credentials, WorkerNames names) {
        CollabSessionSpec spec = session.getSpec();
        List<KeyToPath> items = credentials.keys().stream()
                .map(k -> new KeyToPath(k.secretKey(), null, k.secretKey()))
                .toList();
        Volume secret = new VolumeBuilder()
                .withName(CREDENTIALS_VOLUME)
                .withNewSecret()
                .withSecretName(credentialsVolumeSecret(session.getMetadata().getName(), spec, settings))
                .withItems(items)
                .withDefaultMode(0440)
                .endSecret()
                .build();
        PodSpec podSpec = podSpec(
                names,
                image(spec.getImage(), settings),
                containerEnv(names, sessionEnv(session.getMetadata().getName(), spec, settings)),
                resources(spec.getResources(), settings),
                secret,
                settings);
        var meta = ChildMetadata.of(session, names.pod(), CollabLabels.ROLE_WORKER, true)
                .addToAnnotations(CollabLabels.CREDENTIALS_HASH, credentials.hash())
                .addToAnnotations(CollabLabels.SPEC_HASH, specHash(podSpec, credentials.hash()));
        if (gatewayMode(spec, settings)) {
            meta.addToLabels(CollabLabels.CREDENTIALS_MODE, CollabLabels.CREDENTIALS_MODE_GATEWAY);
        }
        return new PodBuilder().withMetadata(meta.build()).withSpec(podSpec).build();
    }

    /**
     * The spec of a warm worker: the same pod with no session env. Seeded: an empty credentials folder instead of a
     * Secret, so seed-home seeds nothing and opencode starts with no credential. Gateway: the worker's own
     * placeholder home ({@link WarmGatewayHome}) and the gateway's variables, as a session's pod would have them.
     */
    static PodSpec warmSpec(
            WorkerNames names,
            String image,
            ResourceRequirements resources,
            CredentialsMode mode,
            OperatorSettings settings) {
        boolean gateway = mode == CredentialsMode.Gateway;
        String home = CollabLabels.gatewayHomeSecretName(names.pod());
        Volume credentials = gateway
                ? new VolumeBuilder()
                        .withName(CREDENTIALS_VOLUME)
                        .withNewSecret()
                        .withSecretName(home)
                        .withItems(java.util.Arrays.stream(CredentialKey.values())
                                .map(k -> new KeyToPath(k.secretKey(), null, k.secretKey()))
                                .toList())
                        .withDefaultMode(0440)
                        .endSecret()
                        .build()
                : new VolumeBuilder()
                        .withName(CREDENTIALS_VOLUME)
                        .withNewEmptyDir()
                        .endEmptyDir()
                        .build();
        return podSpec(
                names,
                image(image, settings),
                containerEnv(names, gateway ? GatewayEnv.of(names.pod(), List.of(), settings.gateway()) : List.of()),
                resources(resources, settings),
                credentials,
                settings);
    }

    /** Hash of everything that, when changed, requires a new pod (the credentials hash included). */
    static String specHash(PodSpec podSpec, String credentialsHash) {
        return CollabLabels.sha256Hex(Serialization.asJson(podSpec) + "\n" + credentialsHash)
                .substring(0, 32);
    }

    static String image(String image, OperatorSettings settings) {
        return image == null || image.isBlank() ? settings.image() : image;
    }

    private static PodSpec podSpec(
            WorkerNames names,
            String image,
            List<EnvVar> env,
            ResourceRequirements resources,
            Volume credentials,
            OperatorSettings settings) {
        List<VolumeMount> mounts = List.of(mount(HOME_VOLUME, HOME, false), mount(TMP_VOLUME, "/tmp", false));
        return new PodSpecBuilder()
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withServiceAccountName(settings.serviceAccountName())
                .withRestartPolicy("Always")
                .withTerminationGracePeriodSeconds(GRACE_SECONDS)
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(settings.runAsUser())
                .withRunAsGroup(settings.runAsUser())
                .withFsGroup(settings.runAsUser())
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .addNewInitContainer()
                .withName(INIT_CONTAINER)
                .withImage(image)
                .withCommand("sh", "-c", SeedHomeScript.TEXT)
                .withEnv(env("HOME", HOME), env("COLLAB_CREDENTIALS_DIR", CREDENTIALS_DIR))
                .withVolumeMounts(concat(mounts, mount(CREDENTIALS_VOLUME, CREDENTIALS_DIR, true)))
                .withSecurityContext(containerSecurity())
                .withResources(seedResources())
                .endInitContainer()
                .addNewContainer()
                .withName(CONTAINER)
                .withImage(image)
                .withCommand("opencode", "serve", "--hostname", "0.0.0.0", "--port", Integer.toString(settings.port()))
                .withWorkingDir(HOME + "/workspace")
                .withEnv(env)
                .addNewPort()
                .withName("http")
                .withContainerPort(settings.port())
                .withProtocol("TCP")
                .endPort()
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath(READINESS_PATH)
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .withPeriodSeconds(PROBE_PERIOD_SECONDS)
                .withTimeoutSeconds(PROBE_TIMEOUT_SECONDS)
                .withFailureThreshold(PROBE_FAILURE_THRESHOLD)
                .endReadinessProbe()
                .withResources(resources)
                .withVolumeMounts(mounts)
                .withSecurityContext(containerSecurity())
                .endContainer()
                .addNewVolume()
                .withName(HOME_VOLUME)
                .withNewPersistentVolumeClaim()
                .withClaimName(names.homeClaim())
                .endPersistentVolumeClaim()
                .endVolume()
                .addToVolumes(credentials)
                .addNewVolume()
                .withName(TMP_VOLUME)
                .withNewEmptyDir()
                .endEmptyDir()
                .endVolume()
                .build();
    }

    /** Seeded: the session's credential Secret. Gateway: its placeholder files, so no real credential is mounted. */
    static String credentialsVolumeSecret(String name, CollabSessionSpec spec, OperatorSettings settings) {
        return gatewayMode(spec, settings)
                ? CollabLabels.gatewayHomeSecretName(name)
                : spec.getCredentials().getSecretName();
    }

    static boolean gatewayMode(CollabSessionSpec spec, OperatorSettings settings) {
        return CredentialsMode.effective(spec, settings.gateway().defaultMode()) == CredentialsMode.Gateway;
    }

    /** spec.env; in Gateway mode with the gateway's provider URL and egress proxy ({@link GatewayEnv}). */
    private static List<EnvVar> sessionEnv(String session, CollabSessionSpec spec, OperatorSettings settings) {
        return gatewayMode(spec, settings) ? GatewayEnv.of(session, spec.getEnv(), settings.gateway()) : spec.getEnv();
    }

    private static List<EnvVar> containerEnv(WorkerNames names, List<EnvVar> extra) {
        List<EnvVar> env = new ArrayList<>();
        env.add(env("HOME", HOME));
        env.add(new EnvVarBuilder()
                .withName("OPENCODE_SERVER_PASSWORD")
                .withNewValueFrom()
                .withNewSecretKeyRef(CollabLabels.ACCESS_SERVER_PASSWORD_KEY, names.accessSecret(), false)
                .endValueFrom()
                .build());
        // Reserved names were rejected by SpecValidator; filter again so a bug there cannot override HOME.
        extra.stream().filter(e -> !SpecValidator.isReserved(e.getName())).forEach(env::add);
        return env;
    }

    /** The resources a worker runs with: its own, or the configured default when empty. */
    static ResourceRequirements resources(ResourceRequirements own, OperatorSettings settings) {
        boolean empty = own == null
                || ((own.getRequests() == null || own.getRequests().isEmpty())
                        && (own.getLimits() == null || own.getLimits().isEmpty()));
        return empty ? settings.resources() : own;
    }

    /** The seed step copies a few small files. */
    private static ResourceRequirements seedResources() {
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("10m"))
                .addToRequests("memory", new Quantity("16Mi"))
                .addToLimits("memory", new Quantity("64Mi"))
                .build();
    }

    private static SecurityContext containerSecurity() {
        Capabilities dropAll = new CapabilitiesBuilder().withDrop("ALL").build();
        return new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withCapabilities(dropAll)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .build();
    }

    private static EnvVar env(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static VolumeMount mount(String volume, String path, boolean readOnly) {
        return new VolumeMountBuilder()
                .withName(volume)
                .withMountPath(path)
                .withReadOnly(readOnly ? true : null)
                .build();
    }

    private static List<VolumeMount> concat(List<VolumeMount> mounts, VolumeMount extra) {
        List<VolumeMount> all = new ArrayList<>(mounts);
        all.add(extra);
        return all;
    }

    /** Keys of the credential Secret that the pod mounts, for tests and diagnostics. */
    public static List<String> mountedCredentialKeys(Pod pod) {
        return pod.getSpec().getVolumes().stream()
                .filter(v -> CREDENTIALS_VOLUME.equals(v.getName()))
                .flatMap(v -> v.getSecret().getItems().stream())
                .map(KeyToPath::getKey)
                .filter(k -> CredentialKey.fromSecretKey(k).isPresent())
                .toList();
    }
}
