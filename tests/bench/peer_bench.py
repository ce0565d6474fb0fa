#!/usr/bin/python3
"""peer_bench.py - from TCP connect to all sessions negotiated (issue 5 item 7).

Runs bench_peer (C, one process, one thread per endpoint): 10,000 sessions
over a plain loopback TCP pair carrying the codec, over issud's own TCP links
(tcp.h: PSK handshake, AES-256-GCM secure frames) and over the in-memory transport
(issu_mem_pair, one thread: the anchor), interleaved, medians of RUNS, the
TCP/in-memory ratios. Three times:
  default     glibc malloc as is, every CPU (the two endpoints of a TCP run
              work in parallel, as two issud would);
  no-trim     GLIBC_TUNABLES keeping freed memory (no trim, no mmap): the
              in-memory queue of a whole round (2 MB) otherwise comes back
              as fresh pages every run, and page faults, not the transport,
              decide the anchor (measured: 50 ms default vs 12 ms no-trim);
  no-trim, 1 CPU   also pinned with taskset: the transports' cost with no
              parallelism to hide it.
Two whole issud are not timed here: issud logs no line when a round ends, and
reading the state of 10,000 sessions through NETCONF takes seconds (the
state tree is built on the first <get>), which would swamp the figure. The
link variant runs tcp.c, the code issud runs, so only issud's core-thread
hand-off is left out.
Usage: peer_bench.py SOURCE_DIR BIN_DIR [RUNS [CLIENTS [ENTITIES]]]
"""
import datetime
import os
import subprocess
import sys

SRC, BIN = sys.argv[1], sys.argv[2]
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 11
CLIENTS = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
ENTS = int(sys.argv[5]) if len(sys.argv) > 5 else 10


def say(*a):
    print(*a, flush=True)


def main():
    say("date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    say("machine: %s, %d CPUs, Linux %s" % (
        next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if "model name" in l), "?"),
        os.cpu_count(), os.uname().release))
    cmd = [os.path.join(BIN, "bench_peer"), "--clients", str(CLIENTS), "--entities", str(ENTS),
           "--runs", str(RUNS)]
    notrim = "glibc.malloc.trim_threshold=1000000000:glibc.malloc.mmap_threshold=1000000000"
    for name, env, pre in (("default", {}, []), ("no-trim", {"GLIBC_TUNABLES": notrim}, []),
                           ("no-trim, 1 CPU", {"GLIBC_TUNABLES": notrim}, ["taskset", "-c", "0"])):
        say("\n-- %s\n$ %s" % (name, " ".join(["%s=%s" % kv for kv in env.items()] + pre + cmd)))
        r = subprocess.run(pre + cmd, capture_output=True, text=True, env=dict(os.environ, **env))
        sys.stdout.write(r.stdout)
        if r.returncode != 0:
            say("bench_peer failed: " + r.stderr)
            sys.exit(1)


main()
