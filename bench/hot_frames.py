"""Where a JVM's CPU goes: JFR execution samples (`jfr print --json --events jdk.ExecutionSample`) aggregated by frame.
Prints the share of samples per thread group, the hottest frames by own samples (top of stack) and by inclusive
samples (anywhere on the stack, limited to the given package prefixes).
Usage: hot_frames.py SAMPLES.json [--threads REGEX] [--prefixes a.b,c.d] [--top N]
Record with -XX:FlightRecorderOptions:stackdepth=512 (Jackson and builder stacks are deeper than JFR's default 64)."""
import argparse, collections, json, re

p = argparse.ArgumentParser()
p.add_argument("samples")
p.add_argument("--threads", default=".", help="only threads whose name matches this regex")
p.add_argument("--prefixes", default="dev.collab,io.vertx,io.micrometer,com.fasterxml,io.quarkus")
p.add_argument("--top", type=int, default=40)
a = p.parse_args()
prefixes = tuple(a.prefixes.split(","))

events = json.load(open(a.samples))["recording"]["events"]
own, incl, groups = collections.Counter(), collections.Counter(), collections.Counter()
total = 0
for e in events:
    t = e["values"].get("sampledThread") or {}
    name = t.get("javaName") or t.get("osName") or "?"
    if not re.search(a.threads, name):
        continue
    total += 1
    groups[re.sub(r"\d+", "N", name)] += 1
    frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
    names = [f'{f["method"]["type"]["name"].replace("/", ".")}.{f["method"]["name"]}' for f in frames]
    if not names:
        continue
    own[names[0]] += 1
    for n in set(names):
        if n.startswith(prefixes):
            incl[n] += 1
print(f"{total} samples (threads matching {a.threads!r})")
print("threads:")
for n, c in groups.most_common(10):
    print(f"  {100 * c / total:5.1f}%  {n}")
print("own (top of stack):")
for n, c in own.most_common(25):
    print(f"  {100 * c / total:5.1f}%  {n}")
print("inclusive:")
for n, c in incl.most_common(a.top):
    print(f"  {100 * c / total:5.1f}%  {n}")
