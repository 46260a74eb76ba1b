package dev.collab.operator;

/** Why a session cannot run as specified: a CamelCase reason a person can act on, and a message. */
public record SpecProblem(String reason, String message) {
}
