package dev.collab.operator;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Every network probe the operator sends to a session's opencode, and what it remembers between reconciles:
 * how many busy checks in a row found it unreachable, and which pod has answered HTTP ({@link AnswerWatch}). All of it
 * is about the session's current pod, so it is forgotten when that pod is deleted ({@link #podGone}): a deleted session
 * (whose pod the garbage collector deletes) leaves nothing behind. The probes run off the reconcile threads
 * ({@link BackgroundCalls}): a reconcile gets a finished answer, or "asked, no answer yet" and is woken when it comes.
 */
final class SessionProbes {
    /** An answer to a busy check older than this (by the operator's clock) is not used: opencode is asked again. */
    static final Duration BUSY_ANSWER_FRESH = SessionDecision.PROBE_RETRY;

    private final BusyProbe busyProbe;
    private final Map<ResourceID, Integer> unreachableInARow = new ConcurrentHashMap<>();
    private final AnswerWatch answers = new AnswerWatch();
    private final BackgroundCalls calls = new BackgroundCalls();

    SessionProbes(BusyProbe busyProbe) {
        this.busyProbe = busyProbe;
    }

    BackgroundCalls calls() {
        return calls;
    }

    /** Runs the requested probe and returns the findings so far plus its result (or that it is not in yet). */
    ProbeFindings run(ProbeFindings.Request request, ResourceID session, Instant now, ProbeFindings sofar) {
        return switch (request.kind()) {
            case BUSY -> sofar.with(busy(session, request.endpoint(), request.serverPassword(), now));
            case ANSWER ->
                sofar.with(answer(session, request.podUid(), request.endpoint(), request.serverPassword(), now));
            case DRAIN -> sofar.with(drain(session, request.endpoint(), request.serverPassword(), now));
        };
    }

    /**
     * The busy check of a withdrawn pod ({@link PodDrain}): each waits {@link PodDrain#SETTLE} before it asks (real
     * time, on the call's own thread), which is also the interval between checks while an agent works.
     */
    private ProbeFindings.Busy drain(ResourceID session, String endpoint, String password, Instant now) {
        if (endpoint == null || password == null) {
            return new ProbeFindings.Busy(BusyProbe.Answer.UNREACHABLE, 0);
        }
        BackgroundCalls.Done<BusyProbe.Answer> done =
                calls.takeOrStart(session, BackgroundCalls.Kind.DRAIN, endpoint, now, BUSY_ANSWER_FRESH, () -> {
                    try {
                        Thread.sleep(PodDrain.SETTLE.toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return BusyProbe.Answer.UNREACHABLE;
                    }
                    return busyProbe.check(endpoint, password);
                });
        if (done == null) {
            return ProbeFindings.Busy.PENDING;
        }
        return new ProbeFindings.Busy(done.result() == null ? BusyProbe.Answer.UNREACHABLE : done.result(), 0);
    }

    private ProbeFindings.Busy busy(ResourceID session, String endpoint, String password, Instant now) {
        BusyProbe.Answer answer;
        if (endpoint == null || password == null) {
            answer = BusyProbe.Answer.UNREACHABLE;
        } else {
            BackgroundCalls.Done<BusyProbe.Answer> done = calls.takeOrStart(
                    session,
                    BackgroundCalls.Kind.BUSY,
                    endpoint,
                    now,
                    BUSY_ANSWER_FRESH,
                    () -> busyProbe.check(endpoint, password));
            if (done == null) {
                return ProbeFindings.Busy.PENDING;
            }
            answer = done.result() == null ? BusyProbe.Answer.UNREACHABLE : done.result();
        }
        if (answer != BusyProbe.Answer.UNREACHABLE) {
            unreachableInARow.remove(session);
            return new ProbeFindings.Busy(answer, 0);
        }
        return new ProbeFindings.Busy(answer, unreachableInARow.merge(session, 1, Integer::sum));
    }

    /**
     * A pod is asked until it answers once, at most every {@link AnswerWatch#RETRY}; after an answer no request is
     * sent for it. Between tries, and while a request is out, nothing is sent and the count so far is returned.
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
        BackgroundCalls.Done<Boolean> done = calls.takeOrStart(
                session,
                BackgroundCalls.Kind.ANSWER,
                podUid,
                now,
                AnswerWatch.RETRY,
                () -> busyProbe.answers(endpoint, password));
        if (done == null) {
            // asked, no answer yet: its answer wakes the session; look again at the retry interval at the latest
            return new ProbeFindings.Answer(
                    false, answers.unansweredSoFar(session, podUid), now.plus(AnswerWatch.RETRY));
        }
        if (Boolean.TRUE.equals(done.result())) {
            answers.answered(session, podUid);
            return ProbeFindings.Answer.ANSWERED;
        }
        int unanswered = answers.unanswered(session, podUid, done.askedAt());
        return new ProbeFindings.Answer(false, unanswered, done.askedAt().plus(AnswerWatch.RETRY));
    }

    /**
     * A claimed worker's credential delivery ({@link CredentialsHandover}), off the reconcile thread like a probe:
     * true once it succeeded for this pod, false while it runs or after it failed (then the next call tries again).
     */
    boolean delivered(ResourceID session, String podUid, Instant now, Duration fresh, Supplier<Boolean> deliver) {
        BackgroundCalls.Done<Boolean> done =
                calls.takeOrStart(session, BackgroundCalls.Kind.DELIVERY, podUid, now, fresh, deliver);
        return done != null && Boolean.TRUE.equals(done.result());
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
        calls.forget(session);
    }

    /** How many sessions the probes remember anything about (memory held between reconciles). */
    int remembered() {
        Set<ResourceID> all = new HashSet<>(unreachableInARow.keySet());
        all.addAll(answers.sessions());
        all.addAll(calls.sessions());
        return all.size();
    }
}
