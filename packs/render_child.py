"""One render process of the pack pool: ``python -m packs.render_child`` (started by ``packs.parallel``).

It reads jobs from its standard input and writes results to its standard output, each a
length-prefixed pickle frame between it and the process that started it (nothing else
writes to that pipe: anything printed goes to standard error). A job is an HTML document
and its PDF attachments; the result is the PDF/A-3b WeasyPrint made of it, its page
count, the URLs the fetcher refused and the process's memory (current and peak RSS).
It exits when its standard input closes or its parent process is gone, so it never outlives
the worker that started it, even one killed with SIGKILL in the middle of a render.
"""

from __future__ import annotations

import gc
import os
import pickle
import struct
import sys
import time
from typing import IO, Any

HEADER = struct.Struct("!Q")


def write_frame(stream: IO[bytes], value: Any) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any | None:
    """The next frame, or None at the end of the stream (the other side is gone)."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    size = HEADER.unpack(header)[0]
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)  # noqa: S301  (frames come only from the parent process that started us)


def memory_kib() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process in KiB, from /proc (0 where it cannot be read)."""
    current = peak = 0
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1])
    except OSError:
        pass
    return current, peak


def _exit_with_parent() -> None:
    """Stop at once when the process that started this one is gone (even in the middle of a render)."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    _exit_with_parent()
    output = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints go to standard error, never into the frames
    source = sys.stdin.buffer
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aims.settings")
    import django

    django.setup()
    from packs.render import html_to_pdf

    write_frame(output, {"ready": True, "pid": os.getpid()})
    while True:
        job = read_frame(source)
        if job is None:
            return
        cpu = time.process_time()
        try:
            pdf = html_to_pdf(job["html"], job.get("attachments", ()))
            reply: dict[str, Any] = {"ok": True, "pdf": pdf.content, "pages": pdf.pages, "refused": pdf.refused_urls}
        except Exception as exc:  # reported to the parent, which raises it there
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        del job
        gc.collect()
        reply["rss_kib"], reply["peak_kib"] = memory_kib()
        reply["cpu_seconds"] = time.process_time() - cpu
        write_frame(output, reply)


if __name__ == "__main__":
    main()
