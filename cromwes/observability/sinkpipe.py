"""The gateway's end of the line sink (`linesink`): starting it, handing it items, asking it
whether all is written, and ending it."""

import contextlib
import os
import subprocess
import sys
from typing import Final

from cromwes.observability.linesink import ANSWER, HEADER

SINK: Final = "cromwes.observability.linesink"
FLUSH: Final = bytes(HEADER)
"""An empty frame: "answer once everything before this is written"."""
EXIT_WAIT = 5.0


class SinkGone(Exception):
    """The line sink did not start, or ended: nothing more can be handed to it."""


class SinkPipe:
    """A running line sink writing `log_format` lines to the file descriptor `out`."""

    def __init__(self, out: int, log_format: str) -> None:
        answers, reply = os.pipe()
        try:
            self._process = subprocess.Popen(
                # -P: the working directory is not searched first, so a `cromwes` folder there
                # (a source checkout, anyone's files) cannot stand in for the installed sink.
                [sys.executable, "-P", "-m", SINK, log_format, str(reply)],
                stdin=subprocess.PIPE,
                stdout=out,
                pass_fds=(reply,),
            )
        except OSError as exc:
            os.close(answers)
            raise SinkGone(f"did not start ({exc})") from exc
        finally:
            os.close(reply)  # the sink's alone: reading it ends (EOF) when the sink does
        assert self._process.stdin is not None  # stdin=PIPE
        self._frames = self._process.stdin
        self._answers = answers

    @property
    def pid(self) -> int:
        return self._process.pid

    def ready(self) -> None:
        """Wait until the sink has started (it answers once its imports are done)."""
        self._answer("did not start")

    def send(self, payload: bytes) -> None:
        """Hand over one `marshal`led list of items; written by the sink as they come."""
        self._send(len(payload).to_bytes(HEADER, "little") + payload)

    def written(self) -> None:
        """Wait until everything handed over so far is written to the stream."""
        self._send(FLUSH)
        self._answer("ended")

    def close(self, timeout: float = EXIT_WAIT) -> None:
        """End the input; the sink writes what it holds and exits."""
        self._end()
        with contextlib.suppress(subprocess.TimeoutExpired):
            # Still writing to a slow stream past the timeout: it ends by itself once done.
            self._process.wait(timeout)

    def abandon(self) -> str:
        """Let go of a sink that ended; how it ended, for the record."""
        self._end()
        try:
            code = self._process.wait(EXIT_WAIT)
        except subprocess.TimeoutExpired:
            return "not ended yet"
        return f"exit status {code}"

    def _send(self, frame: bytes) -> None:
        view, fd = memoryview(frame), self._frames.fileno()
        try:
            # os.write releases the GIL while the pipe takes the frame.
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            raise SinkGone(f"ended ({exc.strerror})") from exc

    def _answer(self, failure: str) -> None:
        try:
            answer = os.read(self._answers, 1)
        except OSError as exc:
            raise SinkGone(f"{failure} ({exc.strerror})") from exc
        if answer != ANSWER:
            raise SinkGone(failure)

    def _end(self) -> None:
        if not self._frames.closed:
            with contextlib.suppress(OSError):  # a pipe nobody reads: nothing buffered in it
                self._frames.close()
            os.close(self._answers)
