package dev.collab.operator;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every network probe the operator sends to a session's opencode, and what it remembers between reconciles:
 * how many busy checks in a row found it unreachable, and which pod has answered HTTP ({@link AnswerWatch}). All of it
 * is about the session's current pod, so it is forgotten when that pod is deleted ({@link #podGone}): a deleted session
 * (whose pod the garbage collector deletes) leaves nothing behind.
 */
final class SessionProbes {
    private final BusyProbe busyProbe;
    private final Map<ResourceID, Integer> unreachableInARow = new ConcurrentHashMap<>();
    private final AnswerWatch answers = new AnswerWatch();

    SessionProbes(BusyProbe busyProbe) {
        this.busyProbe = busyProbe;
    }

    /** Runs the requested probe and returns the findings so far plus its result. */
    ProbeFindings run(ProbeFindings.Request request, ResourceID session, Instant now, ProbeFindings sofar) {
        return switch (request.kind()) {
            case BUSY -> sofar.with(busy(session, request.endpoint(), request.serverPassword()));
            case ANSWER ->
                sofar.with(answer(session, request.podUid(), request.endpoint(), request.serverPassword(), now));
        };
    }

    private ProbeFindings.Busy busy(ResourceID session, String endpoint, String password) {
        BusyProbe.Answer answer = endpoint == null || password == null
                ? BusyProbe.Answer.UNREACHABLE
                : busyProbe.check(endpoint, password);
        if (answer != BusyProbe.Answer.UNREACHABLE) {
            unreachableInARow.remove(session);
            return new ProbeFindings.Busy(answer, 0);
        }
        return new ProbeFindings.Busy(answer, unreachableInARow.merge(session, 1, Integer::sum));
    }

    /**
     * A pod is asked until it answers once, at most every {@link AnswerWatch#RETRY}; after an answer no request is
     * sent for it. Between tries nothing is sent and the count so far is returned.
     */
    private ProbeFindings.Answer answer(
            ResourceID session, String podUid, String endpoint, String password, Instant now) {
        if (answers.hasAnswered(session, podUid)) {
            return ProbeFindings.Answer.ANSWERED;
        }
        Instant next = answers.nextTry(session, podUid, now);
        if (next != null) {
            return new ProbeFindings.Answer(false, answers.unansweredSoFar(session, podUid), next);
        }
        if (busyProbe.answers(endpoint, password)) {
            answers.answered(session, podUid);
            return ProbeFindings.Answer.ANSWERED;
        }
        return new ProbeFindings.Answer(false, answers.unanswered(session, podUid, now), now.plus(AnswerWatch.RETRY));
    }

    /** The session's pod is stopped: its unreachable count starts over. */
    void stopped(ResourceID session) {
        unreachableInARow.remove(session);
    }

    /** The session's pod was restarted for not answering: the next pod is watched afresh. */
    void restarted(ResourceID session) {
        answers.forget(session);
    }

    /** A worker pod of the session was deleted (stop, replacement, or the session itself deleted): forget it all. */
    void podGone(ResourceID session) {
        unreachableInARow.remove(session);
        answers.forget(session);
    }

    /** How many sessions the probes remember anything about (memory held between reconciles). */
    int remembered() {
        Set<ResourceID> all = new HashSet<>(unreachableInARow.keySet());
        all.addAll(answers.sessions());
        return all.size();
    }
}
