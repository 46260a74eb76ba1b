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
startupProbe:
  httpGet:
    path: /q/health/live
    port: http
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /q/health/live
    port: http
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /q/health/ready
    port: http
  periodSeconds: 5
  failureThreshold: 3
{{- end }}

{{/* Egress rules shared by operator and router: DNS and the API server. */}}
{{- define "collab.controlPlaneEgress" -}}
- ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
- ports:
    {{- range .Values.networkPolicy.apiServer.ports }}
    - protocol: TCP
      port: {{ . }}
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
