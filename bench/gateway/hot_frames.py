"""Where the gateway's CPU goes: JFR execution samples (jfr print --json) aggregated by frame.
Prints the hottest frames by own samples (top of stack) and by inclusive samples (anywhere on the stack),
the latter limited to dev.collab, io.vertx, io.netty, io.micrometer and com.fasterxml frames."""
import collections, json, sys

events = json.load(open(sys.argv[1]))["recording"]["events"]
own, incl = collections.Counter(), collections.Counter()
for e in events:
    frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
    names = [f'{f["method"]["type"]["name"].replace("/", ".")}.{f["method"]["name"]}' for f in frames]
    if not names:
        continue
    own[names[0]] += 1
    for n in set(names):
        if n.startswith(("dev.collab", "io.vertx", "io.micrometer", "com.fasterxml", "io.quarkus")):
            incl[n] += 1
total = len(events)
print(f"{total} samples")
print("own (top of stack):")
for n, c in own.most_common(25):
    print(f"  {100 * c / total:5.1f}%  {n}")
print("inclusive:")
for n, c in incl.most_common(40):
    print(f"  {100 * c / total:5.1f}%  {n}")
