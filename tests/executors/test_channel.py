"""The pool's event channel: whole messages arrive in order, and a worker killed while it
sends ends the channel with end-of-file instead of a driver waiting forever."""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import time

import pytest

from optbench.executors.channel import EventChannel, EventSender

BIG = 8 * 2**20  # far more than a pipe holds: the send blocks mid-message


def _send(sender: EventSender, payloads: list[object]) -> None:
    for payload in payloads:
        sender.put(payload)


def test_messages_arrive_whole_and_in_order_then_eof() -> None:
    context = mp.get_context("fork")
    channel = EventChannel(context)
    child = context.Process(target=_send, args=(channel.sender, ["a", b"x" * BIG, {"c": 3}]))
    child.start()
    channel.seal()
    channel.start()
    before = time.monotonic()
    stamped = [channel.get(10) for _ in range(3)]
    child.join()
    got = [event for _, event in stamped]
    assert got[0] == "a" and got[1] == b"x" * BIG and got[2] == {"c": 3}
    sent = [at for at, _ in stamped]  # when each was sent, on this process's clock too
    assert before - 5 < sent[0] <= sent[1] <= sent[2] <= time.monotonic()
    with pytest.raises(EOFError):
        channel.get(10)
    channel.join()


def test_a_sender_killed_mid_message_ends_in_eof() -> None:
    context = mp.get_context("fork")
    channel = EventChannel(context)
    child = context.Process(target=_send, args=(channel.sender, ["first", b"x" * BIG]))
    child.start()
    assert channel._reader.recv()[1] == "first"
    assert channel._reader.poll(10)  # the big message has begun: it cannot fit the pipe
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    channel.seal()
    channel.start()
    with pytest.raises(EOFError):  # not queue.Empty: the cut message ended the channel
        channel.get(10)
    channel.join()


def test_get_without_waiting_says_empty() -> None:
    channel = EventChannel(mp.get_context("fork"))
    channel.start()
    with pytest.raises(queue.Empty):
        channel.get(0)
    channel.seal()
    with pytest.raises(EOFError):
        channel.get(10)
    channel.join()
