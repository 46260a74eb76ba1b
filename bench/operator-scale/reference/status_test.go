package main

import (
	"testing"
	"time"
)

func TestStartingThenRunningKeepsTransitionTimesOfUnchangedConditions(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	s := Session{Namespace: "collab", Name: "s-1", CredentialSecret: "s-1-creds", Generation: 1}
	starting := desiredStatus(Observed{Session: s, CredentialsFound: true, PodCreated: true, Now: t0})
	if starting.Phase != "Starting" || starting.PodName != "s-1" {
		t.Fatalf("starting: %+v", starting)
	}
	s.Status = starting
	if !sameStatus(desiredStatus(Observed{Session: s, CredentialsFound: true, PodCreated: true, Now: t0.Add(time.Second)}), starting) {
		t.Fatal("nothing changed but the clock: the status must be the same (no write)")
	}
	running := desiredStatus(Observed{Session: s, CredentialsFound: true, PodCreated: true, PodReady: true,
		Endpoint: "http://127.0.0.1:4096", Now: t0.Add(2 * time.Second)})
	if running.Phase != "Running" || running.Endpoint != "http://127.0.0.1:4096" {
		t.Fatalf("running: %+v", running)
	}
	for _, c := range running.Conditions {
		want := t0
		if c.Type == "Ready" {
			want = t0.Add(2 * time.Second)
		}
		if c.LastTransitionTime != want.Format(time.RFC3339Nano) {
			t.Errorf("%s: lastTransitionTime %s, want %s", c.Type, c.LastTransitionTime, want)
		}
	}
}

func TestOwnerLabelIsTheOperatorsValue(t *testing.T) {
	// CollabLabels.ownerLabelValue: readable prefix, '-', the first 16 hex digits of sha256 of the exact owner
	if got, want := ownerLabel("Alice@Example.com"), "alice-example.com-f8db6f2f05fc7ed9"; got != want {
		t.Fatalf("owner label %q, want %q", got, want)
	}
}
