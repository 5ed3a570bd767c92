"""Work done after the response: writes that must not add latency to an answer (an offer
decision's trace), run on a worker thread.

In Lambda the execution environment is frozen as soon as the handler returns and every extension
has said it is done with the invocation, so a background thread alone could be frozen halfway
through a write. This module therefore also registers an **internal extension** (a thread in the
function's own process, Lambda's Extensions API at ``AWS_LAMBDA_RUNTIME_API``) for ``INVOKE``
events: the runtime posts the handler's response to API Gateway as soon as the handler returns
(the caller has its answer), while the extension waits until the handler has finished and the
queued work is done before asking for the next event, which is what lets Lambda freeze the
environment. The writes take place after the response, inside the invocation's billed time.

Outside Lambda (tests, the local runner) there is no Extensions API: the worker thread alone
runs the work, and :func:`drain` waits for it (a test that reads a trace calls it first).
A failure of the deferred work is logged and counted, never raised into a finished response.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import queue
import threading
import urllib.request
from collections.abc import Callable

log = logging.getLogger(__name__)
EXTENSION_NAME = "herald-after-response"
_API = "2020-01-01/extension"


class _Deferred:
    def __init__(self) -> None:
        self.work: queue.Queue[Callable[[], None]] = queue.Queue()
        self.worker: threading.Thread | None = None
        self.extension: threading.Thread | None = None
        self.handler_done = threading.Event()
        self.failures = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.worker is None or not self.worker.is_alive():
                self.worker = threading.Thread(target=self._run, name="after-response", daemon=True)
                self.worker.start()

    def _run(self) -> None:
        while True:
            job = self.work.get()
            try:
                job()
            except Exception:
                self.failures += 1
                log.exception("deferred work failed after the response")
            finally:
                self.work.task_done()


_deferred = _Deferred()


def submit(job: Callable[[], None]) -> None:
    """Run ``job`` after the response (on the worker thread)."""
    _deferred.start()
    _deferred.work.put(job)


def handler_finished() -> None:
    """Called by the handler wrapper when the handler returns: the extension may now wait for
    the queued work and release the invocation."""
    _deferred.handler_done.set()


def releases(handler: Callable) -> Callable:
    """Wrap a Lambda handler so that each invocation, however it ends, lets the extension
    finish the deferred work and release the invocation."""

    @functools.wraps(handler)
    def wrapper(event, context):
        try:
            return handler(event, context)
        finally:
            handler_finished()

    return wrapper


def drain() -> None:
    """Wait for every queued job (tests, the local runner, a container about to stop)."""
    _deferred.work.join()


def failures() -> int:
    return _deferred.failures


def _call(method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    url = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/{_API}/{path}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    return urllib.request.urlopen(request, timeout=None)


def _extension_loop(extension_id: str) -> None:
    while True:
        with _call("GET", "event/next", headers={"Lambda-Extension-Identifier": extension_id}):
            pass  # an INVOKE event: the handler is running now
        _deferred.handler_done.wait()
        _deferred.handler_done.clear()
        drain()


def register_extension() -> bool:
    """In Lambda, register the internal extension (during init, i.e. at import of the
    function's module); elsewhere do nothing. Whether it registered."""
    if not os.environ.get("AWS_LAMBDA_RUNTIME_API") or _deferred.extension is not None:
        return False
    body = json.dumps({"events": ["INVOKE"]}).encode()
    try:
        with _call("POST", "register", body, {"Lambda-Extension-Name": EXTENSION_NAME}) as answer:
            extension_id = answer.headers["Lambda-Extension-Identifier"]
    except OSError:
        log.warning("could not register the after-response extension: traces may be late")
        return False
    _deferred.extension = threading.Thread(
        target=_extension_loop, args=(extension_id,), name=EXTENSION_NAME, daemon=True
    )
    _deferred.extension.start()
    return True
