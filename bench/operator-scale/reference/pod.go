package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// workerPod is WorkerPodBuilder for a Gateway-mode session (the bench's, as the deployment's default mode): the
// same spec field for field (init container seed-home with the operator's script, opencode with the gateway's
// variables, restricted security contexts, readiness probe, three volumes) and the same labels and annotations.
func workerPod(s Session, seedScript, credHash string, keys []string, now time.Time) *corev1.Pod {
	f := false
	t := true
	user := runAsUser
	grace := int64(15)
	mode := int32(0o440)
	items := make([]corev1.KeyToPath, 0, len(keys))
	for _, k := range keys {
		items = append(items, corev1.KeyToPath{Key: k, Path: k})
	}
	mounts := []corev1.VolumeMount{{Name: "home", MountPath: home}, {Name: "tmp", MountPath: "/tmp"}}
	seedMounts := append(append([]corev1.VolumeMount{}, mounts...),
		corev1.VolumeMount{Name: "credentials", MountPath: credentialsDir, ReadOnly: true})
	security := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &f, ReadOnlyRootFilesystem: &t, RunAsNonRoot: &t,
		Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	gatewayHome := s.Name + "-gateway-home"
	env := []corev1.EnvVar{
		{Name: "HOME", Value: home},
		secretEnv("OPENCODE_SERVER_PASSWORD", s.Name+"-access", "server-password"),
		{Name: "ANTHROPIC_BASE_URL", Value: gatewayURL + "/v1"},
	}
	for _, name := range []string{"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"} {
		env = append(env, secretEnv(name, gatewayHome, "egress-proxy-url"))
	}
	noProxy := "collab-gateway.collab-system,localhost,127.0.0.1,::1"
	env = append(env, corev1.EnvVar{Name: "COLLAB_EGRESS_PROXY", Value: "http://" + egressHost},
		corev1.EnvVar{Name: "NO_PROXY", Value: noProxy}, corev1.EnvVar{Name: "no_proxy", Value: noProxy})
	spec := corev1.PodSpec{
		AutomountServiceAccountToken:  &f,
		EnableServiceLinks:            &f,
		ServiceAccountName:            "collab-session",
		RestartPolicy:                 corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: &grace,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: &t, RunAsUser: &user, RunAsGroup: &user, FSGroup: &user,
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		InitContainers: []corev1.Container{{
			Name: "seed-home", Image: image, Command: []string{"sh", "-c", seedScript},
			Env:             []corev1.EnvVar{{Name: "HOME", Value: home}, {Name: "COLLAB_CREDENTIALS_DIR", Value: credentialsDir}},
			VolumeMounts:    seedMounts,
			SecurityContext: security,
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
			},
		}},
		Containers: []corev1.Container{{
			Name: "opencode", Image: image,
			Command:    []string{"opencode", "serve", "--hostname", "0.0.0.0", "--port", strconv.Itoa(port)},
			WorkingDir: home + "/workspace",
			Env:        env,
			Ports:      []corev1.ContainerPort{{Name: "http", ContainerPort: port, Protocol: corev1.ProtocolTCP}},
			ReadinessProbe: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: "/site.webmanifest", Port: intstr.FromString("http")}},
				PeriodSeconds: 1, TimeoutSeconds: 2, FailureThreshold: 10,
			},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
			},
			VolumeMounts:    mounts,
			SecurityContext: security,
		}},
		Volumes: []corev1.Volume{
			{Name: "home", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: s.Name + "-home"}}},
			{Name: "credentials", VolumeSource: corev1.VolumeSource{
				Secret: &corev1.SecretVolumeSource{SecretName: gatewayHome, Items: items, DefaultMode: &mode}}},
			{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
	}
	specJSON, _ := json.Marshal(spec)
	sum := sha256.Sum256(append(append(specJSON, '\n'), credHash...))
	meta := childMeta(s, s.Name, "worker")
	meta.Labels["collab.dev/credentials-mode"] = "gateway"
	meta.Annotations = map[string]string{
		"collab.dev/credentials-hash": credHash,
		"collab.dev/spec-hash":        hex.EncodeToString(sum[:])[:32],
		"collab.dev/created-at":       now.UTC().Format(time.RFC3339Nano),
	}
	return &corev1.Pod{ObjectMeta: meta, Spec: spec}
}

func secretEnv(name, secret, key string) corev1.EnvVar {
	f := false
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key, Optional: &f}}}
}

// podReady is PodView: Ready when the Ready condition is True; the endpoint is the pod IP at the published port.
func podReady(p *corev1.Pod) (bool, string) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.Status.PodIP != "" {
			endpointPort := p.Annotations["collab.dev/endpoint-port"]
			if endpointPort == "" {
				endpointPort = strconv.Itoa(port)
			}
			return true, "http://" + p.Status.PodIP + ":" + endpointPort
		}
	}
	return false, ""
}
