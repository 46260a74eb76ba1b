package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

var sessionsGVR = schema.GroupVersionResource{Group: "collab.dev", Version: "v1alpha1", Resource: "collabsessions"}

// controller reconciles CollabSessions from informer caches; every write goes straight to the API server and its
// answer into the cache it belongs to, so the next reconcile (woken by that very write's watch event) sees it.
type controller struct {
	clients    kubernetes.Interface
	dyn        dynamic.Interface
	namespace  string
	seedScript string
	gatewayKey []byte
	queue      workqueue.TypedRateLimitingInterface[string]
	sessions   cache.SharedIndexInformer
	pods       cache.SharedIndexInformer
	claims     cache.SharedIndexInformer
	secrets    cache.SharedIndexInformer
	announced  sync.Map // session uid + reason -> true: each Event once
}

func newController(clients kubernetes.Interface, dyn dynamic.Interface, namespace, seedScript string) *controller {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c := &controller{clients: clients, dyn: dyn, namespace: namespace, seedScript: seedScript, gatewayKey: key,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "collabsessions"})}
	c.sessions = dynamicinformer.NewFilteredDynamicInformer(dyn, sessionsGVR, namespace, 0, cache.Indexers{}, nil).Informer()
	// Children by the operator's labels; Secrets: the session children and the opted-in credential Secrets.
	managed := informers.NewSharedInformerFactoryWithOptions(clients, 0, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = "app.kubernetes.io/managed-by=collab-session-operator"
		}))
	c.pods = managed.Core().V1().Pods().Informer()
	c.claims = managed.Core().V1().PersistentVolumeClaims().Informer()
	c.secrets = informers.NewSharedInformerFactoryWithOptions(clients, 0, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = "app.kubernetes.io/part-of=collab" }),
	).Core().V1().Secrets().Informer()
	for _, inf := range []cache.SharedIndexInformer{c.sessions, c.pods, c.claims, c.secrets} {
		_ = inf.SetTransform(dropManagedFields) // as the operator's caches (ManagedFieldsFreeStore)
	}
	_, _ = c.sessions.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, o any) { c.enqueue(o) },
	})
	child := cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueOwner,
		UpdateFunc: func(_, o any) { c.enqueueOwner(o) },
		DeleteFunc: c.enqueueOwner,
	}
	for _, inf := range []cache.SharedIndexInformer{c.pods, c.claims, c.secrets} {
		_, _ = inf.AddEventHandler(child)
	}
	return c
}

func dropManagedFields(o any) (any, error) {
	if m, ok := o.(metav1.Object); ok {
		m.SetManagedFields(nil)
	}
	return o, nil
}

func (c *controller) enqueue(o any) {
	if key, err := cache.MetaNamespaceKeyFunc(o); err == nil {
		c.queue.Add(key)
	}
}

func (c *controller) enqueueOwner(o any) {
	if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	if m, ok := o.(metav1.Object); ok {
		for _, ref := range m.GetOwnerReferences() {
			if ref.Kind == "CollabSession" {
				c.queue.Add(m.GetNamespace() + "/" + ref.Name)
			}
		}
	}
}

func (c *controller) run(ctx context.Context, workers int) {
	defer c.queue.ShutDown()
	for _, inf := range []cache.SharedIndexInformer{c.sessions, c.pods, c.claims, c.secrets} {
		go inf.Run(ctx.Done())
	}
	if !cache.WaitForCacheSync(ctx.Done(), c.sessions.HasSynced, c.pods.HasSynced, c.claims.HasSynced, c.secrets.HasSynced) {
		return
	}
	fmt.Fprintln(os.Stderr, "caches synced")
	for i := 0; i < workers; i++ {
		go func() {
			for c.next(ctx) {
			}
		}()
	}
	<-ctx.Done()
}

func (c *controller) next(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.reconcile(ctx, key); err != nil {
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *controller) reconcile(ctx context.Context, key string) error {
	o, exists, err := c.sessions.GetStore().GetByKey(key)
	if err != nil || !exists {
		return err
	}
	s := sessionOf(o.(*unstructured.Unstructured))
	now := time.Now()
	in := Observed{Session: s, Now: now}
	_, credsFound, _ := c.secrets.GetStore().GetByKey(s.Namespace + "/" + s.CredentialSecret)
	in.CredentialsFound = credsFound
	if credsFound {
		if err := c.ensure(ctx, c.secrets, accessSecret(s)); err != nil {
			return err
		}
		home := gatewayHomeSecret(s, c.gatewayKey)
		if err := c.ensure(ctx, c.secrets, home); err != nil {
			return err
		}
		if err := c.ensure(ctx, c.claims, homeClaim(s)); err != nil {
			return err
		}
		// The hash of what is cached (written once: a placeholder Secret is never rewritten here).
		if cached, ok, _ := c.secrets.GetStore().GetByKey(s.Namespace + "/" + home.Name); ok {
			home = cached.(*corev1.Secret)
		}
		hash, keys := credentialsHash(home.Data)
		in.CredentialsHash, in.PodCreated = hash, true
		p, found, _ := c.pods.GetStore().GetByKey(s.Namespace + "/" + s.Name)
		if !found {
			if err := c.ensure(ctx, c.pods, workerPod(s, c.seedScript, hash, keys, now)); err != nil {
				return err
			}
			c.announce(ctx, s, "Started", "created pod "+s.Name, now)
		} else {
			pod := p.(*corev1.Pod)
			in.PodReady, in.Endpoint = podReady(pod)
			for _, cs := range pod.Status.ContainerStatuses {
				if cs.State.Running != nil {
					in.StartedAt = cs.State.Running.StartedAt.UTC().Format(time.RFC3339)
				}
			}
		}
	}
	status := desiredStatus(in)
	if sameStatus(status, s.Status) {
		return nil
	}
	if err := c.patchStatus(ctx, s, status); err != nil {
		return err
	}
	if status.Phase == "Running" && s.Status.Phase != "Running" {
		c.announce(ctx, s, "Ready", "opencode is serving at "+status.Endpoint, now)
	}
	return nil
}

// ensure creates the object unless the cache has it, and puts the created object into the cache at once.
func (c *controller) ensure(ctx context.Context, inf cache.SharedIndexInformer, obj metav1.Object) error {
	if _, found, _ := inf.GetStore().GetByKey(obj.GetNamespace() + "/" + obj.GetName()); found {
		return nil
	}
	var created any
	var err error
	switch o := obj.(type) {
	case *corev1.Secret:
		created, err = c.clients.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.PersistentVolumeClaim:
		created, err = c.clients.CoreV1().PersistentVolumeClaims(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Pod:
		created, err = c.clients.CoreV1().Pods(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	}
	if apierrors.IsAlreadyExists(err) {
		return nil // the watch brings it
	}
	if err != nil {
		return err
	}
	return inf.GetStore().Add(created)
}

// patchStatus is a JSON merge patch of the status subresource carrying the resourceVersion it was computed at
// (optimistic lock, like the operator's status patch; a 409 requeues with the newer session).
func (c *controller) patchStatus(ctx context.Context, s Session, status Status) error {
	body, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": s.ResourceVersion},
		"status":   status,
	})
	if err != nil {
		return err
	}
	patched, err := c.dyn.Resource(sessionsGVR).Namespace(s.Namespace).
		Patch(ctx, s.Name, types.MergePatchType, body, metav1.PatchOptions{}, "status")
	if err != nil {
		return err
	}
	return c.sessions.GetStore().Update(patched)
}

func (c *controller) announce(ctx context.Context, s Session, reason, message string, now time.Time) {
	if _, done := c.announced.LoadOrStore(s.UID+"/"+reason, true); done {
		return
	}
	_, _ = c.clients.CoreV1().Events(s.Namespace).Create(ctx, event(s, reason, message, now), metav1.CreateOptions{})
}
