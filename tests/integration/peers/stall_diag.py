# For hostile_clients.py (test_tcp_hostile.sh): after install(), a client
# that dies of an exception (a timeout: its connection stalled) first prints
# the connection's state while it still exists, as the peer's kernel sees it
# (ss, in the client's namespace) and as portmux does ($PMX_DIAG, a shell
# command), then the traceback.
import os
import subprocess
import sys
import threading

_once = threading.Lock()


def _dump(exc):
    if _once.acquire(blocking=False):
        print(f"client failed ({exc!r}); the connection now:", file=sys.stderr, flush=True)
        cmd = "ss -tinoem; " + os.environ.get("PMX_DIAG", "")
        subprocess.run(["timeout", "30", "sh", "-c", cmd], stdout=sys.stderr, check=False)


def _main_hook(t, v, tb):
    _dump(v)
    sys.__excepthook__(t, v, tb)


def _thread_hook(a):
    _dump(a.exc_value)
    threading.__excepthook__(a)


def install():
    sys.excepthook = _main_hook
    threading.excepthook = _thread_hook
