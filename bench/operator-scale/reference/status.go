package main

import (
	"reflect"
	"time"
)

// Status is the part of CollabSessionStatus this controller writes (StatusBuilder's fields for these phases).
type Status struct {
	Phase              string      `json:"phase,omitempty"`
	ObservedGeneration int64       `json:"observedGeneration,omitempty"`
	PodName            string      `json:"podName,omitempty"`
	Endpoint           string      `json:"endpoint,omitempty"`
	AccessSecretName   string      `json:"accessSecretName,omitempty"`
	CredentialsHash    string      `json:"credentialsHash,omitempty"`
	StartedAt          string      `json:"startedAt,omitempty"`
	RestartCount       *int32      `json:"restartCount,omitempty"`
	Conditions         []Condition `json:"conditions,omitempty"`
}

// Condition is a status condition; LastTransitionTime moves only when Status changes (ConditionSet).
type Condition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message"`
	LastTransitionTime string `json:"lastTransitionTime,omitempty"`
	ObservedGeneration int64  `json:"observedGeneration,omitempty"`
}

// Observed is what the next status is computed from.
type Observed struct {
	Session          Session
	CredentialsHash  string
	CredentialsFound bool
	PodCreated       bool
	PodReady         bool
	Endpoint         string
	StartedAt        string
	Now              time.Time
}

// desiredStatus is StatusBuilder.build for the phases a bench session goes through: Pending (no credential
// Secret yet), Starting (pod created, not Ready), Running (pod Ready).
func desiredStatus(in Observed) Status {
	s := in.Session
	previous := map[string]Condition{}
	for _, c := range s.Status.Conditions {
		previous[c.Type] = c
	}
	now := in.Now.UTC().Format(time.RFC3339Nano)
	var conditions []Condition
	set := func(typ string, ok bool, reason, message string) {
		status := "False"
		if ok {
			status = "True"
		}
		transition := now
		if before, found := previous[typ]; found && before.Status == status && before.LastTransitionTime != "" {
			transition = before.LastTransitionTime
		}
		conditions = append(conditions, Condition{typ, status, reason, message, transition, s.Generation})
	}
	zero := int32(0)
	out := Status{ObservedGeneration: s.Generation, AccessSecretName: s.Name + "-access"}
	if in.PodCreated {
		out.PodName, out.RestartCount, out.CredentialsHash, out.StartedAt = s.Name, &zero, in.CredentialsHash, in.StartedAt
	}
	if in.CredentialsFound {
		set("CredentialsReady", true, "CredentialsFound",
			"Secret "+s.CredentialSecret+" provides [auth.json]; Gateway mode: the pod holds placeholders only")
	} else {
		set("CredentialsReady", false, "SecretNotFound", "Secret "+s.CredentialSecret+" does not exist")
	}
	if in.PodReady {
		set("StorageReady", true, "Bound", "HOME volume claim is bound")
	} else {
		set("StorageReady", true, "WaitForFirstConsumer", "HOME volume claim is pending; it binds when the pod is scheduled")
	}
	switch {
	case !in.CredentialsFound:
		out.Phase = "Pending"
		set("Ready", false, "SecretNotFound", "Secret "+s.CredentialSecret+" does not exist")
	case in.PodReady:
		out.Phase, out.Endpoint = "Running", in.Endpoint
		set("Ready", true, "PodReady", "opencode is serving at the published endpoint")
	default:
		out.Phase = "Starting"
		set("Ready", false, "PodStarting", "waiting for opencode to accept connections")
	}
	set("Idle", false, "Active", "")
	out.Conditions = conditions
	return out
}

func sameStatus(a, b Status) bool { return reflect.DeepEqual(a, b) }
