"""Drives an interactive program (a julia REPL) under a pseudo-terminal, as a person types.

    python3 repl.py TIMEOUT_SECONDS STEPS_JSON -- program args...

STEPS_JSON is a list of [text to type, text to wait for]; before the first step it waits for
"julia> ". Everything the program wrote to the terminal (stdout and stderr) is printed on
stdout at the end. Exits 3 when a wait times out (with the transcript so far), else with the
program's status after its standard input closes. Bounded in time: the program is killed at
the deadline.
"""
import json
import os
import pty
import select
import signal
import sys
import time


def main():
    timeout = float(sys.argv[1])
    steps = json.loads(sys.argv[2])
    argv = sys.argv[sys.argv.index("--") + 1:]
    deadline = time.monotonic() + timeout
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    transcript = bytearray()
    seen = 0

    def wait_for(text):
        nonlocal seen
        want = text.encode()
        while True:
            at = transcript.find(want, seen)
            if at >= 0:
                seen = at + len(want)
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    return False
                if not chunk:
                    return False
                transcript.extend(chunk)

    ok = wait_for("julia> ")
    for typed, expect in steps if ok else []:
        os.write(fd, typed.encode())
        if not wait_for(expect):
            ok = False
            break
    if ok:
        os.write(fd, b"\x04")  # ^D: leave the REPL
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            transcript.extend(chunk)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(transcript.decode("utf-8", "replace"))
    sys.stdout.flush()
    if not ok:
        sys.exit(3)
    sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else 0)


main()
