"""nclib.py - what the NETCONF integration tests share: the check list that
makes a test fail, and a free loopback port for issud to listen on."""
import socket
import sys

failures = []


def check(cond, what):
    """Print ok/FAIL for @what; a FAIL makes the test exit non-zero."""
    print(("ok   " if cond else "FAIL ") + what)
    sys.stdout.flush()
    if not cond:
        failures.append(what)


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
