package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.ArrayList;
import java.util.List;

public class CollabSessionSpec {
    /** Go-style duration ("90s", "1h30m") or "0" for never. */
    public static final int MAX_ENV = 100;

    public static final String DURATION_PATTERN = "^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$";

    @Required
    @Size(min = 1)
    @JsonPropertyDescription("The person this session runs and bills as.")
    private String owner;

    @Required
    @JsonPropertyDescription("The Secret holding this session's own credentials.")
    private CredentialsRef credentials;

    @JsonPropertyDescription("opencode image; default from operator configuration (collab.session.image).")
    private String image;

    @Pattern(DURATION_PATTERN)
    @Size(max = 32)
    // Guards first (at most 16 characters, no number of 7+ digits) so that duration() never overflows: CEL's && is
    // false when either side is false, even if the other side is an error.
    @ValidationRule(
            value =
                    "self == '0' || (self.size() <= 16 && !self.matches('[0-9]{7,}') && duration(self) <= duration('8760h'))",
            message = "idleTimeout must be at most 8760h (365 days); use \"0\" to never stop the session")
    @JsonPropertyDescription(
            "Go-style duration after which an inactive session is stopped, at most 8760h; \"0\" never stops it.")
    private String idleTimeout;

    @JsonPropertyDescription("true: no pod runs, the HOME volume is kept.")
    private boolean suspend;

    private StorageSpec storage;

    @JsonPropertyDescription("Resources of the opencode container; default from operator configuration.")
    private ResourceRequirements resources;

    @ValidationRule(value = "self.all(e, has(e.name) && size(e.name) > 0)", message = "every env entry needs a name")
    @ValidationRule(
            value = "self.all(e, !has(e.name) || (e.name != 'HOME' && !e.name.startsWith('XDG_')"
                    + " && !e.name.startsWith('OPENCODE_SERVER_')))",
            message = "env may not set HOME, XDG_* or OPENCODE_SERVER_*: the operator owns them")
    @ValidationRule(
            value = "self.all(e, !has(e.name) || e.name != 'OPENCODE_DISABLE_EMBEDDED_WEB_UI')",
            message = "env may not set OPENCODE_DISABLE_EMBEDDED_WEB_UI: the readiness probe needs the embedded web UI")
    // maxItems bounds the rules' estimated cost: without it a real API server refuses the CRD ("estimated rule
    // cost exceeds budget"), which the mock server never checks (CrdControlPlaneIT).
    @Size(max = MAX_ENV)
    @JsonPropertyDescription("Extra environment variables (at most 100); HOME, XDG_*, OPENCODE_SERVER_* and "
            + "OPENCODE_DISABLE_EMBEDDED_WEB_UI are reserved.")
    private List<EnvVar> env = new ArrayList<>();

    @JsonPropertyDescription(
            "CollabSessionPool (same namespace) whose warm worker a new session claims; unset: the pool"
                    + " named \"default\" if there is one. Ignored after the first start: a waking session keeps its own HOME.")
    private String poolRef;

    @JsonPropertyDescription("Gateway mode: hosts the agent may reach through the gateway's egress proxy.")
    private EgressSpec egress;

    public CollabSessionSpec() {}

    public CollabSessionSpec(String owner, String credentialsSecret) {
        this.owner = owner;
        this.credentials = new CredentialsRef(credentialsSecret);
    }

    public String getOwner() {
        return owner;
    }

    public void setOwner(String owner) {
        this.owner = owner;
    }

    public CredentialsRef getCredentials() {
        return credentials;
    }

    public void setCredentials(CredentialsRef credentials) {
        this.credentials = credentials;
    }

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public String getIdleTimeout() {
        return idleTimeout;
    }

    public void setIdleTimeout(String idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    public boolean isSuspend() {
        return suspend;
    }

    public void setSuspend(boolean suspend) {
        this.suspend = suspend;
    }

    public StorageSpec getStorage() {
        return storage;
    }

    public void setStorage(StorageSpec storage) {
        this.storage = storage;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public List<EnvVar> getEnv() {
        return env;
    }

    public void setEnv(List<EnvVar> env) {
        this.env = env == null ? new ArrayList<>() : env;
    }

    public String getPoolRef() {
        return poolRef;
    }

    public void setPoolRef(String poolRef) {
        this.poolRef = poolRef;
    }

    public EgressSpec getEgress() {
        return egress;
    }

    public void setEgress(EgressSpec egress) {
        this.egress = egress;
    }
}
