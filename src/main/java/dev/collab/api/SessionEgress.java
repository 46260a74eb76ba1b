package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Egress of one Gateway-mode session through the gateway's proxy, as the gateway counts it (written with usage). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SessionEgress {
    @JsonPropertyDescription("Connections the proxy opened for this session (tunnels and plain HTTP requests).")
    private long connections;

    @JsonPropertyDescription("Connections refused: host not allowed, forbidden address, or byte budget used up.")
    private long refused;

    @JsonPropertyDescription("Bytes sent by the session to allowed hosts.")
    private long bytesUp;

    @JsonPropertyDescription("Bytes received by the session from allowed hosts.")
    private long bytesDown;

    @JsonPropertyDescription("When the gateway last added to these totals (RFC 3339).")
    private String updatedAt;

    public SessionEgress() {}

    public SessionEgress(long connections, long refused, long bytesUp, long bytesDown, String updatedAt) {
        this.connections = connections;
        this.refused = refused;
        this.bytesUp = bytesUp;
        this.bytesDown = bytesDown;
        this.updatedAt = updatedAt;
    }

    public long getConnections() {
        return connections;
    }

    public void setConnections(long connections) {
        this.connections = connections;
    }

    public long getRefused() {
        return refused;
    }

    public void setRefused(long refused) {
        this.refused = refused;
    }

    public long getBytesUp() {
        return bytesUp;
    }

    public void setBytesUp(long bytesUp) {
        this.bytesUp = bytesUp;
    }

    public long getBytesDown() {
        return bytesDown;
    }

    public void setBytesDown(long bytesDown) {
        this.bytesDown = bytesDown;
    }

    public String getUpdatedAt() {
        return updatedAt;
    }

    public void setUpdatedAt(String updatedAt) {
        this.updatedAt = updatedAt;
    }
}
