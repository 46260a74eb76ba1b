{{/* Labels shared by every object of the chart. */}}
{{- define "collab.labels" -}}
app.kubernetes.io/part-of: collab
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "collab.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* true when the chart serves every namespace (ClusterRoles, no per-namespace objects). */}}
{{- define "collab.allNamespaces" -}}
{{- if empty .Values.watchNamespaces }}true{{ end }}
{{- end }}

{{/* Pod-level security context of operator and router (PSS restricted). */}}
{{- define "collab.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 185
runAsGroup: 185
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level security context of operator and router (PSS restricted). */}}
{{- define "collab.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* Probes on the Quarkus health endpoints. */}}
{{- define "collab.probes" -}}
{{- /* Timeouts and thresholds from the real node: a JVM starved of CPU by many starting sessions answered its
     probes after 1-8 s and was restarted (the default timeout is 1 s), losing its Lease and its caches. */}}
startupProbe:
  httpGet:
    path: /q/health/live
    port: http
  periodSeconds: 2
  timeoutSeconds: 5
  failureThreshold: 150
livenessProbe:
  httpGet:
    path: /q/health/live
    port: http
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 6
readinessProbe:
  httpGet:
    path: /q/health/ready
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- end }}

{{/* Egress to DNS: the cluster DNS pods only (and listed node-local caches), never any address on port 53. */}}
{{- define "collab.dnsEgress" -}}
{{- $dns := .Values.networkPolicy.dns }}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ $dns.namespace }}
      podSelector:
        matchLabels:
          {{- toYaml $dns.podLabels | nindent 10 }}
    {{- range $dns.cidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end }}

{{/* Egress rules shared by operator, router and gateway: DNS and the API server. Without apiServer.cidrs the
     gateway's rule leaves out port 443: a ports-only rule on 443 would let it reach any address there, private
     ranges included, and void its provider rule's exclusions (clusters whose API server listens on 443 list
     its address in apiServer.cidrs). */}}
{{- define "collab.controlPlaneEgress" -}}
{{- include "collab.dnsEgress" . }}
- ports:
    {{- range .Values.networkPolicy.apiServer.ports }}
    {{- if or $.Values.networkPolicy.apiServer.cidrs (not $.gatewayRule) (ne (int .) 443) }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
    {{- end }}
  {{- with .Values.networkPolicy.apiServer.cidrs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- end }}

{{/* Egress to the session pods' opencode port, in the watched namespaces (or all). */}}
{{- define "collab.sessionEgress" -}}
- to:
    {{- if .Values.watchNamespaces }}
    {{- range .Values.watchNamespaces }}
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ . }}
      podSelector:
        matchLabels:
          collab.dev/role: worker
    {{- end }}
    {{- else }}
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          collab.dev/role: worker
    {{- end }}
  ports:
    - protocol: TCP
      port: {{ .Values.session.port }}
{{- end }}

{{/* A list of strings as CEL string literals, comma-separated (for a CEL list in an admission policy). */}}
{{- define "collab.celStrings" -}}
{{- $items := list }}
{{- range . }}{{ $items = append $items (printf "'%s'" (. | replace "\\" "\\\\" | replace "'" "\\'")) }}{{ end }}
{{- join ", " $items }}
{{- end }}
