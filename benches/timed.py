#!/usr/bin/env python3
"""Times whole processes for benches/compare.sh, from spawn to exit.

    timed.py OUT CMD [ARG...] [--- OUT CMD [ARG...]]...

Each job runs CMD with its stdout written to the file OUT (created, or
truncated if it exists: remove it first, since truncating a large file
costs the file system time that would be counted). Jobs separated by `---`
start together; the clock stops when the last one has exited. Prints the
wall time in microseconds.

(Peak RSS is left to /usr/bin/time: a process spawned from here starts out
in this interpreter's memory, and Linux keeps that memory's high-water mark
in the child's rusage across exec, so wait4 would report about 13 MiB for
`cat`.)

Timing in the shell instead (`date` before and after) also counts forking
`date` twice, forking the subshell, and expanding a glob of thousands of
file names into an argument list: about 12 ms a run on the bulk test's
11,648 files, the same for every mode, which is pure shell and compresses
the ratios between modes. Here the clock covers only what the jobs do,
from their exec (with their arguments) to their exit.
"""
import os
import sys
import time


def jobs(argv):
    job = []
    for a in argv:
        if a == "---":
            yield job
            job = []
        else:
            job.append(a)
    yield job


def main():
    specs = [j for j in jobs(sys.argv[1:])]
    if not specs or any(len(j) < 2 for j in specs):
        sys.exit(__doc__)
    fds = [os.open(j[0], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) for j in specs]
    t0 = time.perf_counter()
    pids = []
    for fd, j in zip(fds, specs):
        prog = j[1]
        if "/" not in prog:
            prog = next(
                (os.path.join(d, prog) for d in os.environ.get("PATH", "").split(":")
                 if os.access(os.path.join(d, prog), os.X_OK)),
                prog,
            )
        pids.append(os.posix_spawn(prog, j[1:], os.environ,
                                   file_actions=[(os.POSIX_SPAWN_DUP2, fd, 1)]))
    failed = False
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        failed = failed or os.waitstatus_to_exitcode(status) != 0
    elapsed = time.perf_counter() - t0
    for fd in fds:
        os.close(fd)
    print(int(elapsed * 1e6))
    if failed:
        sys.exit(f"timed.py: a job failed: {specs}")


main()
