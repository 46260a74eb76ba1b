#!/usr/bin/env python3
"""Interleaved wrk rounds with CPU per request of every process involved, read from /proc (utime+stime).

Called by run.sh with a JSON plan on stdin:
  {"rounds": 5, "runs": [{"conns": 64, "duration": 10}, {"conns": 1, "duration": 5}],
   "groups": {"router": {"pid": 123, "jvm": true}, "nginx": {"pid": 456, "children": true}, ...},
   "targets": [{"backend": "vertx", "via": "router", "url": "...", "header": "...", "proxy": "router",
                "server": "env", "script": "optional wrk -s Lua file (a POST)"}, ...],
   "out": "/tmp/.../rounds.json"}
Every round runs every (connections, target) pair once; the target order rotates from round to round so that
load from other processes on the machine spreads over all targets. Routes other than "direct" and "nginx" (the
router, the gateway, a second build) are the subjects: they are warmed up and compared with nginx. The CPU of a
target's proxy and of its backend is the utime+stime those processes accumulated during the wrk run, divided by the
requests wrk completed. It moves less with other load than requests/s does, but it does move: a proxy starved of
CPU handles one request per wake-up and pays more per request (see RESULTS.md), so run on an idle machine. For JVM groups the CPU is also split by thread
(event loops, JIT compiler threads, GC threads, the rest) from /proc/<pid>/task/*/stat.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

TICK_US = 1_000_000 / os.sysconf("SC_CLK_TCK")


def ticks(stat_path):
    with open(stat_path) as f:
        data = f.read()
    comm = data[data.index("(") + 1:data.rindex(")")]
    fields = data[data.rindex(")") + 2:].split()
    return comm, int(fields[11]) + int(fields[12]), int(fields[12])  # utime+stime, stime (fields 14, 15 of stat)


def category(thread_name):
    if thread_name.startswith("vert.x-eventloo"):
        return "eventloop"
    if "CompilerThre" in thread_name:
        return "jit"
    if thread_name.startswith(("GC ", "G1 ", "VM Thread")):
        return "gc"
    return None


def snapshot(group):
    """CPU ticks of a process group: total, and for a JVM the per-thread ticks."""
    pid = group["pid"]
    pids = [pid]
    if group.get("children"):
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/stat") as f:
                        if f.read().rsplit(")", 1)[1].split()[1] == str(pid):
                            pids.append(int(p))
                except OSError:
                    pass
    stats = [ticks(f"/proc/{p}/stat") for p in pids]
    total, system = sum(s[1] for s in stats), sum(s[2] for s in stats)
    threads = {}
    if group.get("jvm"):
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                threads[tid] = ticks(f"/proc/{pid}/task/{tid}/stat")[:2]
            except OSError:
                pass
    return total, threads, system


def split(before, after):
    """Per-category ticks between two JVM snapshots; what is not categorised (or ran in threads that ended) is 'other'."""
    cats = {"eventloop": 0, "jit": 0, "gc": 0}
    for tid, (name, t) in after[1].items():
        c = category(name)
        if c:
            cats[c] += t - before[1].get(tid, (name, 0))[1]
    cats["other"] = (after[0] - before[0]) - sum(cats.values())
    return cats


def parse_wrk(text):
    def latency(v):
        n = float(re.match(r"[\d.]+", v).group())
        return n / 1000 if v.endswith("us") else n * 1000 if v.endswith("s") and not v.endswith("ms") else n
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    p = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
    errors = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
    errors += sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    return requests, rps, latency(p["50"]), latency(p["99"]), errors


def run_once(plan, target, conns, duration):
    groups = plan["groups"]
    names = [target["proxy"], target["server"]] if target["proxy"] else [target["server"]]
    before = {g: snapshot(groups[g]) for g in names}
    threads = min(2, conns)
    script = ["-s", target["script"]] if target.get("script") else []
    proc = subprocess.Popen(["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", *script,
                             "-H", target["header"], target["url"]], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    after = {g: snapshot(groups[g]) for g in names}
    requests, rps, p50, p99, errors = parse_wrk(out)
    if status != 0 or requests == 0:
        sys.exit(f"wrk failed for {target['url']}:\n{out}")
    per_req = lambda t: t * TICK_US / requests
    row = {"backend": target["backend"], "via": target["via"], "conns": conns, "requests": requests, "rps": rps,
           "p50": p50, "p99": p99, "errors": errors, "load": open("/proc/loadavg").read().split()[0],
           "server_us": per_req(after[target["server"]][0] - before[target["server"]][0]),
           "wrk_us": (usage.ru_utime + usage.ru_stime) * 1e6 / requests}
    if target["proxy"]:
        g = target["proxy"]
        row["proxy_us"] = per_req(after[g][0] - before[g][0])
        row["proxy_sys_us"] = per_req(after[g][2] - before[g][2])
        if groups[g].get("jvm"):
            row["proxy_split_us"] = {k: per_req(v) for k, v in split(before[g], after[g]).items()}
    return row


def subject(via):
    """The proxies under test: every route but the backend alone and the nginx reference."""
    return via not in ("direct", "nginx")


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def report(data, header):
    """Markdown: medians per (backend, connections, route), router/nginx ratios, every round."""
    rows = data["rounds"]
    cell = {}
    for r in rows:
        cell.setdefault((r["backend"], r["conns"], r["via"]), []).append(r)
    rounds = max(r["round"] for r in rows)
    print(header)
    print(f"\nMedians of {rounds} interleaved rounds. CPU = utime+stime of the process(es) during the wrk run / requests "
          "(proxy: the router JVM or the nginx proxy's master and workers; backend: the server answering).\n")
    print("| backend | conns | route | req/s | p50 ms | p99 ms | proxy CPU us/req | of which kernel | backend CPU us/req "
          "| wrk CPU us/req |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for (b, c, v), rs in cell.items():
        proxy = f"{med(rs, 'proxy_us'):.1f}" if v != "direct" else "-"
        kernel = f"{med(rs, 'proxy_sys_us'):.1f}" if v != "direct" else "-"
        print(f"| {b} | {c} | {v} | {med(rs, 'rps'):.0f} | {med(rs, 'p50'):.3f} | {med(rs, 'p99'):.3f} | {proxy} | {kernel} | "
              f"{med(rs, 'server_us'):.1f} | {med(rs, 'wrk_us'):.1f} |")
    print("\n| backend | conns | CPU per request | req/s | p50 added ms: router, nginx | "
          "p99 added ms: router, nginx |")
    print("|---|---:|---:|---:|---|---|")
    for (b, c, v), rs in cell.items():
        if not subject(v) or (b, c, "nginx") not in cell:
            continue
        ng, d = cell[(b, c, "nginx")], cell[(b, c, "direct")]
        print(f"| {b} | {c} | {v}/nginx: {med(rs, 'proxy_us') / med(ng, 'proxy_us'):.2f}x | {med(rs, 'rps') / med(ng, 'rps'):.2f}x | "
              f"{med(rs, 'p50') - med(d, 'p50'):.3f}, {med(ng, 'p50') - med(d, 'p50'):.3f} | "
              f"{med(rs, 'p99') - med(d, 'p99'):.3f}, {med(ng, 'p99') - med(d, 'p99'):.3f} |")
    print("\nCPU per request of the JVM proxies by thread (us, median): ", end="")
    parts = []
    for (b, c, v), rs in cell.items():
        if subject(v) and "proxy_split_us" in rs[0]:
            cats = {k: statistics.median(r["proxy_split_us"][k] for r in rs) for k in rs[0]["proxy_split_us"]}
            parts.append(f"{v} {b} c{c}: " + ", ".join(f"{k} {x:.1f}" for k, x in cats.items()))
    print("; ".join(parts) + ".")
    for v in sorted({r["via"] for r in data["warmup"]}):
        print(f"\nWarm-up of {v}, 5 s slices at 64 connections (req/s, CPU us/req of which JIT compiler threads): "
              + "; ".join(f"{r['rps']:.0f}, {r['proxy_us']:.0f} ({r['proxy_split_us']['jit']:.0f})"
                          for r in data["warmup"] if r["via"] == v) + ".")
    errors = sum(r["errors"] for r in rows)
    print(f"\nNon-2xx responses and socket errors over all runs: {errors}.")
    print("\nAll rounds (req/s, proxy us/req, backend us/req, load average):\n")
    for (b, c, v), rs in cell.items():
        print(f"- {b} c{c} {v}: " + "; ".join(
            f"{r['rps']:.0f}, {r.get('proxy_us', 0):.1f}, {r['server_us']:.1f}, {r['load']}" for r in rs))


def main():
    if sys.argv[1:2] == ["report"]:
        with open(sys.argv[2]) as f:
            report(json.load(f), sys.argv[3])
        return
    plan = json.load(sys.stdin)
    targets = plan["targets"]
    rows = []
    # Warm-up: the subjects in 5 s slices (alternating targets), each measured like a run: shows how long the JIT needs.
    routed = [t for t in targets if subject(t["via"])]
    slices = []
    for i in range(max(1, plan["warmup"] // 5) * max(1, len(routed) // 2)):
        row = run_once(plan, routed[i % len(routed)], 64, 5)
        slices.append(row)
        print(f"warm-up slice {i + 1}: {row['via']} {row['rps']:.0f} req/s, {row['proxy_us']:.1f} us/req "
              f"(JIT threads {row['proxy_split_us']['jit']:.1f})", file=sys.stderr, flush=True)
    for t in targets:
        if not subject(t["via"]):
            run_once(plan, t, 64, 2)
    for r in range(plan["rounds"]):
        for run in plan["runs"]:
            for i in range(len(targets)):
                t = targets[(i + r) % len(targets)]
                row = run_once(plan, t, run["conns"], run["duration"])
                row["round"] = r + 1
                rows.append(row)
                print(f"round {r + 1}/{plan['rounds']} c{run['conns']:<3} {t['backend']:>5} via {t['via']:<6} "
                      f"{row['rps']:>8.0f} req/s  proxy {row.get('proxy_us', 0):6.1f} us/req  "
                      f"server {row['server_us']:5.1f} us/req  load {row['load']}", file=sys.stderr, flush=True)
    with open(plan["out"], "w") as f:
        json.dump({"warmup": slices, "rounds": rows}, f, indent=1)


if __name__ == "__main__":
    main()
