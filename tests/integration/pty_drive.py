#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Drives an interactive program through a pseudo-terminal, as a person at
a keyboard would: pty_drive.py CMD... --- KEYS... sends each KEYS (with \\t
and \\r understood; SLEEP:S waits S seconds) after the program has been quiet for a moment, then
prints everything the terminal showed. Exits with the program's status."""
import os, pty, select, sys, time

def drain(fd, quiet=0.4, limit=10.0):
    out, end, last = b"", time.time() + limit, time.time()
    while time.time() < end and time.time() - last < quiet:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            last = time.time()
    return out

def main():
    sep = sys.argv.index("---")
    cmd, keys = sys.argv[1:sep], sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = drain(fd, quiet=1.0)
    for k in keys:
        if k.startswith("SLEEP:"):
            out += drain(fd, quiet=float(k[6:]), limit=float(k[6:]) + 1)
            continue
        os.write(fd, k.encode().decode("unicode_escape").encode())
        out += drain(fd)
    out += drain(fd, quiet=1.0)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))

main()
