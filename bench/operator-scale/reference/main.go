// Command reference is bench/operator-scale's reference controller: the standard client-go pattern (shared
// informers, a rate-limited workqueue, Lease leader election) making the same writes per CollabSession as the
// operator, so the bench can put the operator's CPU per session beside what a minimal Go controller spends.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// UserAgent tells this controller's requests apart in the audit log.
const UserAgent = "collab-reference-controller/client-go-v0.36.3"

func main() {
	server := flag.String("server", "", "API server URL")
	caFile := flag.String("ca-file", "", "CA certificate of the API server")
	namespace := flag.String("namespace", "collab", "namespace of the sessions")
	leaseNamespace := flag.String("lease-namespace", "collab-system", "namespace of the leader Lease")
	leaseName := flag.String("lease-name", "collab-session-operator", "name of the leader Lease")
	identity := flag.String("identity", "reference-bench", "leader-election identity")
	workers := flag.Int("workers", 16, "concurrent reconciles (the operator runs 16)")
	seedScript := flag.String("seed-script", "", "the seed-home init container's script (the operator's seed-home.sh)")
	flag.Parse()

	// From the environment, so that it shows neither in ps nor on disk.
	token := os.Getenv("COLLAB_REFERENCE_TOKEN")
	if token == "" {
		klog.Fatal("COLLAB_REFERENCE_TOKEN (a bearer token: the operator's ServiceAccount's) is not set")
	}
	script := "true"
	if *seedScript != "" {
		b, err := os.ReadFile(*seedScript)
		if err != nil {
			klog.Fatalf("seed script: %v", err)
		}
		script = string(b)
	}
	cfg := &rest.Config{
		Host:            *server,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: *caFile},
		UserAgent:       UserAgent,
		// Fabric8 (the operator's client) has no client-side rate limit; client-go's default (5 QPS) would make
		// this a bench of the limiter. JSON on the wire, as the operator's client sends.
		QPS: -1,
	}
	clients, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		klog.Fatalf("client: %v", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		klog.Fatalf("dynamic client: %v", err)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	c := newController(clients, dyn, *namespace, script)
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Name: *leaseName, Namespace: *leaseNamespace},
		Client:     clients.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: *identity},
	}
	// The operator's Lease timings (JOSDK/Fabric8 defaults): 15 s lease, 10 s renew deadline, 2 s retry.
	leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   15 * time.Second,
		RenewDeadline:   10 * time.Second,
		RetryPeriod:     2 * time.Second,
		ReleaseOnCancel: true,
		Name:            *leaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				fmt.Fprintln(os.Stderr, "leading: starting informers and", *workers, "workers")
				c.run(ctx, *workers)
			},
			OnStoppedLeading: func() {
				if ctx.Err() == nil {
					klog.Fatal("lost the Lease")
				}
			},
		},
	})
}
