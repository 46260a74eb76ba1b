package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// The operator's deployment defaults (deploy/operator-deployment.yaml, CollabConfig).
const (
	image          = "ghcr.io/anomalyco/opencode:1.18.33"
	port           = 4096
	home           = "/home/collab"
	credentialsDir = "/var/run/collab/credentials"
	gatewayURL     = "http://collab-gateway.collab-system:8080"
	egressHost     = "collab-gateway.collab-system:3128"
	runAsUser      = int64(1000)
)

// Session is what the controller reads of a CollabSession.
type Session struct {
	Namespace, Name, UID, Owner, CredentialSecret string
	Generation                                    int64
	ResourceVersion                               string
	Status                                        Status
}

func sessionOf(u *unstructured.Unstructured) Session {
	owner, _, _ := unstructured.NestedString(u.Object, "spec", "owner")
	secret, _, _ := unstructured.NestedString(u.Object, "spec", "credentials", "secretName")
	s := Session{
		Namespace: u.GetNamespace(), Name: u.GetName(), UID: string(u.GetUID()), Owner: owner,
		CredentialSecret: secret, Generation: u.GetGeneration(), ResourceVersion: u.GetResourceVersion(),
	}
	if raw, ok := u.Object["status"]; ok {
		b, _ := json.Marshal(raw)
		_ = json.Unmarshal(b, &s.Status)
	}
	return s
}

var labelUnsafe = regexp.MustCompile(`[^a-z0-9._-]`)

// ownerLabel is CollabLabels.ownerLabelValue: a readable prefix, '-', 16 hex digits of sha256(owner).
func ownerLabel(owner string) string {
	sum := sha256.Sum256([]byte(owner))
	readable := strings.Trim(labelUnsafe.ReplaceAllString(strings.ToLower(owner), "-"), "-._")
	if len(readable) > 63-17 {
		readable = strings.Trim(readable[:63-17], "-._")
	}
	return readable + "-" + hex.EncodeToString(sum[:])[:16]
}

func childMeta(s Session, name, role string) metav1.ObjectMeta {
	labels := map[string]string{
		"app.kubernetes.io/managed-by": "collab-session-operator",
		"app.kubernetes.io/part-of":    "collab",
		"collab.dev/session":           s.Name,
		"collab.dev/owner":             ownerLabel(s.Owner),
	}
	if role != "" {
		labels["collab.dev/role"] = role
	}
	yes := true
	return metav1.ObjectMeta{
		Name: name, Namespace: s.Namespace, Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "collab.dev/v1alpha1", Kind: "CollabSession", Name: s.Name, UID: types.UID(s.UID),
			Controller: &yes, BlockOwnerDeletion: &yes,
		}},
	}
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// accessSecret is AccessSecretBuilder: `<name>-access`, the router's token and opencode's server password.
func accessSecret(s Session) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: childMeta(s, s.Name+"-access", "access"),
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"token": []byte(newToken()), "server-password": []byte(newToken())},
	}
}

// placeholder stands for Placeholders.access: an HMAC of the session's identity under the gateway key.
func placeholder(key []byte, s Session, kind string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind + "\n" + s.Namespace + "\n" + s.Name + "\n" + s.UID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// gatewayHomeSecret is GatewayHomeDependent.desired for an auth.json credential Secret: the placeholder files that
// seed-home copies into HOME (auth.json with the placeholder key, opencode.json at the gateway) and the proxy URL.
func gatewayHomeSecret(s Session, key []byte) *corev1.Secret {
	access := placeholder(key, s, "access")
	auth, _ := json.Marshal(map[string]any{"anthropic": map[string]any{"type": "api", "key": access}})
	opencode, _ := json.Marshal(map[string]any{"provider": map[string]any{
		"anthropic": map[string]any{"options": map[string]any{"baseURL": gatewayURL + "/v1"}}}})
	return &corev1.Secret{
		ObjectMeta: childMeta(s, s.Name+"-gateway-home", "gateway-home"),
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			"auth.json":        auth,
			"opencode.json":    opencode,
			"egress-proxy-url": []byte("http://collab:" + access + "@" + egressHost),
		},
	}
}

// credentialsHash is CredentialsState's hash over the known keys of the (placeholder) files, in key order.
func credentialsHash(data map[string][]byte) (string, []string) {
	h := sha256.New()
	var keys []string
	for _, k := range []string{"claude-credentials.json", "auth.json", "opencode.json"} {
		if v, ok := data[k]; ok {
			keys = append(keys, k)
			h.Write([]byte(k + "\n"))
			h.Write(v)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), keys
}

// homeClaim is HomeClaimBuilder: `<name>-home`, 2Gi ReadWriteOnce, the default storage class.
func homeClaim(s Session) *corev1.PersistentVolumeClaim {
	meta := childMeta(s, s.Name+"-home", "")
	meta.Annotations = map[string]string{"collab.dev/session-uid": s.UID}
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: meta,
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")},
			},
		},
	}
}

// event is CollabEvents.emit: one POST per Event (no client-go EventRecorder, which aggregates and patches).
func event(s Session, reason, message string, now time.Time) *corev1.Event {
	t := metav1.NewTime(now)
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name + "." + newToken()[:8], Namespace: s.Namespace},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "collab.dev/v1alpha1", Kind: "CollabSession", Name: s.Name, Namespace: s.Namespace,
			UID: types.UID(s.UID), ResourceVersion: s.ResourceVersion,
		},
		Reason: reason, Message: message, Type: corev1.EventTypeNormal,
		Source:              corev1.EventSource{Component: "collab-session-operator"},
		ReportingController: "collab-session-operator",
		FirstTimestamp:      t, LastTimestamp: t, Count: 1,
	}
}
