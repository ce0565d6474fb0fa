"""nclib.py - what the NETCONF integration tests share: the check list that
makes a test fail (with the plain "N passed, N failed" closing line), a
condition to wait for, a free loopback port for issud to listen on, and the
run of a test's main that always kills what it started."""
import os
import shutil
import socket
import sys
import time

failures = []
counts = {"passed": 0}


def check(cond, what):
    """Print ok/FAIL for @what; a FAIL makes the test exit non-zero. Returns @cond."""
    print(("ok   " if cond else "FAIL ") + what)
    sys.stdout.flush()
    if cond:
        counts["passed"] += 1
    else:
        failures.append(what)
    return cond


def summary():
    """The closing line ctest's readers count, and the exit status."""
    print("%d passed, %d failed" % (counts["passed"], len(failures)))
    return 1 if failures else 0


def wait_for(cond, secs, step=0.05):
    """Whether @cond() became true within @secs seconds."""
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def free_port(udp=False):
    """A TCP (or UDP) port on 127.0.0.1 nobody listens on right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def kill(p):
    """Stop @p (a Popen), by its PID, and reap it."""
    if p.poll() is None:
        p.kill()
    p.wait()


def run_main(main, procs, tmp):
    """Run @main(); a crash is a failure with its reason. Then, also on
    failure, kill every Popen in @procs, show the tail of each *.log in @tmp
    when something failed, remove @tmp and exit with summary()."""
    try:
        main()
    except Exception as e:
        import traceback
        traceback.print_exc()
        check(False, "exception: %r" % e)
    finally:
        for p in procs:
            kill(p)
        if failures:
            for f in sorted(os.listdir(tmp)):
                if f.endswith(".log"):
                    print("---- %s ----\n%s" % (f, open(os.path.join(tmp, f), errors="replace").read()[-1500:]))
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(summary())
