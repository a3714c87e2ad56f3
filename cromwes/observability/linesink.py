"""The line sink: a child process of the gateway rendering its log lines and writing them.

`python -m cromwes.observability.linesink FORMAT REPLY_FD`, started by the gateway's log writer
(`sinkpipe.SinkPipe`): its stdin carries frames (a 4-byte length, then `marshal` of a list of
items, `linerender.Item`), its stdout is the gateway's log stream. An empty frame asks for an
answer (one byte on REPLY_FD) once everything before it is written. One byte on REPLY_FD says
it is ready. It ends at the end of its input, when the gateway closes the pipe or exits, and
ignores SIGINT and SIGTERM meanwhile: a Ctrl-C or a stop sent to the whole process group must
not end it before the gateway's last lines are written.
"""

import marshal
import os
import signal
import sys

from cromwes.observability.linerender import LineRenderer

HEADER = 4
ANSWER = b"."


def main(log_format: str, reply: int) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    render = LineRenderer(log_format)
    frames, out = sys.stdin.buffer, sys.stdout.fileno()
    os.write(reply, ANSWER)
    while len(header := frames.read(HEADER)) == HEADER:
        size = int.from_bytes(header, "little")
        if size == 0:
            os.write(reply, ANSWER)
            continue
        payload = frames.read(size)
        if len(payload) < size:
            break
        write_all(out, render.batch(marshal.loads(payload)))
    return 0


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        # The log's own stream failed (disk full): say so where a person may still see it,
        # as logging's handleError does, and keep going.
        print(f"cromwes line sink: cannot write log lines: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
