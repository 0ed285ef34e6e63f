"""A worker's helper processes: forked copies of the worker that order chunks beside it.

A worker's threads share one interpreter lock: on a 2-core machine the Python work of the
chunks (computing, making the COPYs' bytes) held it about 70 % of a run, so two threads
could not compute at once. A forked helper has its own: it starts from the worker's memory
as it is (the run's context, read once), opens its own database connection and claims
chunks exactly as another worker would (`FOR UPDATE SKIP LOCKED`, each chunk in its own
transaction), so the guarantees are a worker's: each chunk ordered once, a chunk rolled back
claimable again.

The helper reports through a pipe, once, when it has no chunk left to claim: the seconds of
its steps and its error, if any (then the worker stops at its next chunk and raises it). The
worker stops a helper by writing to (or closing) another pipe, which the helper reads between
chunks. A helper never closes the worker's connection: it sets it aside and leaves by
`os._exit`, which runs no cleanup of what it inherited."""

from __future__ import annotations

import os
import pickle
import threading
from contextlib import contextmanager

from django.db import connections

_inherited: list = []  # a helper's copies of the worker's database links, never closed


def available() -> bool:
    return hasattr(os, "fork")


class _Helper:
    def __init__(self, work, steps_factory):
        report_r, report_w = os.pipe()
        stop_r, stop_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process left to make
            for end in (report_r, report_w, stop_r, stop_w):
                os.close(end)
            raise
        if pid == 0:  # the helper: works, reports and exits; never returns
            os.close(report_r)
            os.close(stop_w)
            _serve(work, steps_factory, stop_r, report_w)
        os.close(report_w)
        os.close(stop_r)
        self.pid, self.report, self.stop = pid, report_r, stop_w

    def ask_to_stop(self) -> None:
        if self.stop is not None:
            os.close(self.stop)  # the helper reads the end of the pipe
            self.stop = None

    def read_report(self) -> dict:
        """Blocks until the helper has reported (or died)."""
        data = bytearray()
        while chunk := os.read(self.report, 1 << 16):
            data += chunk
        self._close_report()
        try:
            return pickle.loads(data)
        except Exception:  # cut short: the helper died before reporting
            return {"steps": {}, "error": RuntimeError("un processus auxiliaire s'est arrêté")}

    def _close_report(self) -> None:
        if self.report is not None:
            os.close(self.report)
            self.report = None

    def wait(self) -> None:
        """Asks the helper to stop, reaps it and closes its pipes (idempotent for the pipes)."""
        self.ask_to_stop()
        os.waitpid(self.pid, 0)
        self._close_report()


def _serve(work, steps_factory, stop_r, report_w) -> None:
    status = 1
    try:
        for alias in connections:  # the worker's links: set aside, a new one opened here
            wrapper = connections[alias]
            if wrapper.connection is not None:
                _inherited.append(wrapper.connection)
                wrapper.connection = None
        stop = threading.Event()

        def watch():
            os.read(stop_r, 1)  # returns when the worker writes or closes its end
            stop.set()

        threading.Thread(target=watch, daemon=True).start()
        steps = steps_factory()
        error = None
        try:
            work(steps, stop)
        except BaseException as exc:  # handed to the worker
            error = exc
        finally:
            connections.close_all()  # this helper's own links only
        report = {"steps": dict(steps.seconds), "error": _portable(error)}
        with os.fdopen(report_w, "wb") as out:
            out.write(pickle.dumps(report))
        status = 0
    finally:
        os._exit(status)


def _portable(error: BaseException | None):
    """The error as the worker can receive it: itself if it pickles, else a RuntimeError
    naming it."""
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")


@contextmanager
def helpers(count: int, work, steps, stop: threading.Event, failures: list):
    """Runs the block beside `count` forked helpers, each calling `work(steps, stop)` with
    steps of its own (added to `steps` when it reports) and a stop event set when the worker
    asks it to stop. A helper's error is appended to `failures` and sets `stop`; an error of
    the block asks the helpers to stop. Every helper has reported and been reaped on leaving.
    Call it before any thread of the worker starts: a fork copies only the calling thread."""
    forked = []
    try:
        for _ in range(count):
            try:
                forked.append(_Helper(work, type(steps)))
            except OSError:  # no process left to make (a limit): fewer helpers
                break
    except BaseException:
        for helper in forked:
            helper.wait()
        raise

    def listen(helper):
        report = helper.read_report()
        for step, seconds in report["steps"].items():
            steps.add(step, seconds)
        if report["error"] is not None:
            failures.append(report["error"])
            stop.set()

    listeners = [threading.Thread(target=listen, args=(helper,)) for helper in forked]
    for listener in listeners:
        listener.start()
    try:
        yield
    except BaseException:
        for helper in forked:
            helper.ask_to_stop()
        raise
    finally:
        for listener in listeners:
            listener.join()
        for helper in forked:
            helper.wait()
