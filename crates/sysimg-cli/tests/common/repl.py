"""Drives an interactive program (a julia REPL) under a pseudo-terminal, as a person types.

    python3 repl.py TIMEOUT_SECONDS STEPS_JSON -- program args...

STEPS_JSON is a list of [text to type, text to wait for]; before the first step it waits for
"julia> ". Each step waits for its text after what it typed was written, and only in what the
program wrote since the previous step's text: a prompt that was already on the screen never
satisfies a later wait. Everything the program wrote to the terminal (stdout and stderr) is
printed on stdout at the end; a step that timed out is named on stderr.

Exits 3 when a wait times out (with the transcript so far), else with the program's status
after ^D. Bounded in time: each wait gets at most TIMEOUT_SECONDS / 2 (a Pkg command on a
loaded machine is slow, a lost keystroke is not), the whole run TIMEOUT_SECONDS, and the
program is killed at the end.

The terminal is 250 columns by 50 rows, so that long paths typed or printed do not wrap and
are redrawn: julia's line editor redraws a wrapped line with cursor moves, which would cut a
path in the transcript. Typed text is written one line at a time, and a step's text is not
typed before the previous step's text appeared: keys typed while julia is still busy are
read by whatever is reading then (Pkg, the next prompt), which is how a backspace or a `]`
gets lost.
"""
import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main():
    timeout = float(sys.argv[1])
    steps = json.loads(sys.argv[2])
    argv = sys.argv[sys.argv.index("--") + 1:]
    start = time.monotonic()
    deadline = start + timeout
    step_timeout = timeout / 2
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
    transcript = bytearray()
    seen = 0

    def read_some(wait):
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        transcript.extend(chunk)
        return True

    def wait_for(text):
        nonlocal seen
        want = text.encode()
        until = min(deadline, time.monotonic() + step_timeout)
        while True:
            at = transcript.find(want, seen)
            if at >= 0:
                seen = at + len(want)
                return True
            left = until - time.monotonic()
            if left <= 0 or not read_some(min(left, 1.0)):
                return False

    failed = None
    if not wait_for("julia> "):
        failed = "the first prompt"
    for n, (typed, expect) in enumerate(steps if failed is None else []):
        if typed:
            os.write(fd, typed.encode())
        if not wait_for(expect):
            failed = "step %d: typed %r, waited %.0f s for %r" % (
                n, typed, time.monotonic() - start, expect)
            break
    if failed is None:
        os.write(fd, b"\x04")  # ^D: leave the REPL
        while time.monotonic() < deadline:
            if not read_some(1.0):
                break
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(transcript.decode("utf-8", "replace"))
    sys.stdout.flush()
    if failed is not None:
        sys.stderr.write("repl.py: timed out at %s\n" % failed)
        sys.exit(3)
    if hasattr(os, "waitstatus_to_exitcode"):
        sys.exit(os.waitstatus_to_exitcode(status))
    sys.exit(0)


main()
