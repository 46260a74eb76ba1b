package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * Gateway mode: where the session's agent may connect through the gateway's egress proxy (DESIGN.md section 8). The
 * grammar of an entry is {@link EgressPattern}'s; the API server checks its shape, the gateway its meaning.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class EgressSpec {
    public static final int MAX_ALLOW = 64;

    // The entries' grammar is checked by the operator (condition InvalidEgressAllow), not by a CEL rule: a list of
    // strings has no maxLength here, and a real API server refuses the rule's estimated cost (CrdControlPlaneIT).
    @Size(max = MAX_ALLOW)
    @JsonPropertyDescription("Hosts the agent may reach through the gateway's egress proxy, added to the gateway's"
            + " default list: host[:port], *.domain[:port] (subdomains only) or an address range a.b.c.d/n[:port]"
            + " (only a range listed here lets a private, loopback or cluster address through). Without a port: 80"
            + " and 443; \":*\": any port. Empty: the provider only (plus the gateway's defaults).")
    private List<String> allow = new ArrayList<>();

    public EgressSpec() {}

    public EgressSpec(List<String> allow) {
        this.allow = allow == null ? new ArrayList<>() : new ArrayList<>(allow);
    }

    public List<String> getAllow() {
        return allow;
    }

    public void setAllow(List<String> allow) {
        this.allow = allow == null ? new ArrayList<>() : allow;
    }
}
