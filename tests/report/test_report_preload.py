"""The report's imports may start early in a background thread, but never overlap the report.

Two threads importing matplotlib at once can leave one of them with a half-initialised module
(seen as "cannot import name ... from partially initialized module"), so the phase waits for
the preload thread before the report is drawn.
"""

from optbench.driver import ReportPreload


def test_stop_waits_for_the_preload_thread():
    preload = ReportPreload()
    preload.start()
    preload.stop()
    assert preload.thread is not None and not preload.thread.is_alive()


def test_stop_without_start_is_fine():
    ReportPreload().stop()
