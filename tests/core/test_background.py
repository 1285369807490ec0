"""``core.background.BackgroundCall``: one call on a second CPU, or in the caller's thread on one.

* Two CPUs: the call runs at once in a worker thread; one CPU: in the caller's thread, when
  its result is first asked for, and once.
* An error of the call reaches the caller unchanged (the same exception object), each time asked.
* No worker thread is left running once the ``with`` block is left, also when the block raises.
"""

from __future__ import annotations

import threading

import pytest

from xl_addin.core import background
from xl_addin.core.background import BackgroundCall, usable_cpus


def workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("customer-tiers")]


@pytest.fixture(params=[1, 2], ids=["one CPU", "two CPUs"])
def cpus(request, monkeypatch):
    monkeypatch.setattr(background, "usable_cpus", lambda: request.param)
    return request.param


def test_usable_cpus_is_a_positive_count():
    assert 1 <= usable_cpus() <= 4096


def test_two_cpus_run_the_call_in_a_worker_thread_at_once(monkeypatch):
    monkeypatch.setattr(background, "usable_cpus", lambda: 2)
    started, release = threading.Event(), threading.Event()

    def call(a, b, *, c):
        started.set()
        assert release.wait(10)
        return threading.get_ident(), a + b + c

    with BackgroundCall(call, 1, 2, c=3) as running:
        assert started.wait(10)  # running before anyone asks for the result
        assert running.threaded
        release.set()
        thread, value = running.result()
    assert value == 6 and thread != threading.get_ident()
    assert workers() == []


def test_one_cpu_runs_the_call_in_the_callers_thread_when_asked_and_once(monkeypatch):
    monkeypatch.setattr(background, "usable_cpus", lambda: 1)
    calls = []
    with BackgroundCall(lambda: calls.append(threading.get_ident()) or len(calls)) as running:
        assert calls == [] and not running.threaded  # nothing runs before it is asked for
        assert running.result() == 1 and running.result() == 1
    assert calls == [threading.get_ident()]
    assert workers() == []


def test_an_error_of_the_call_reaches_the_caller_unchanged(cpus):
    error = KeyError("customer_id")

    def fails():
        raise error

    with BackgroundCall(fails) as running:
        for _ in range(2):  # asked twice: the same error both times, the call made once
            with pytest.raises(KeyError) as raised:
                running.result()
            assert raised.value is error
    assert workers() == []


def test_leaving_the_block_waits_for_the_worker_also_when_the_block_raises(cpus):
    finished = []

    def slow():
        threading.Event().wait(0.2)
        finished.append(True)

    with pytest.raises(ValueError, match="the block's own"):
        with BackgroundCall(slow):
            raise ValueError("the block's own error")  # wins; the worker is waited for
    assert workers() == []
    assert finished == ([True] if cpus > 1 else [])  # on one CPU it was never asked for
