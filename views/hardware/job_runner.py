"""Runs one :class:`studio.hardware.hardware_job.HardwareJob` at a time and brings what it reports to the GUI thread.

The job (Qt-free) works in a child process; a timer owned by this object polls
it on the GUI thread, bound to the owner's lifetime: once the owner is gone,
nothing is delivered and the job is stopped.  Starting a new job or
:meth:`JobRunner.drop` stops a running job and discards its result.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from studio.hardware.hardware_job import HardwareJob, Request

POLL_MS = 40


class JobRunner(QObject):
    """Poll the current job.

    Signals
    -------
    progressed(str, float)
        The phase and fraction the job reports (emitted when they change).
    polled(object)
        The job was polled (its stages and log may have grown); the argument is the :class:`HardwareJob`.
    ended(object)
        The job ended (done, cancelled or failed); the argument is the :class:`HardwareJob`.
    """

    progressed = Signal(str, float)
    polled = Signal(object)
    ended = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.job: HardwareJob | None = None
        self._current: list[HardwareJob | None] = [None]  # for the end of this object's lifetime
        self.destroyed.connect(lambda *_, current=self._current: current[0] is not None and current[0].stop())
        self._seen = ("", -1.0)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    @property
    def running(self) -> bool:
        """Whether a job runs or has ended without being reported yet."""
        return self.job is not None

    def start(self, request: Request) -> HardwareJob:
        """Run ``request`` (dropping a running job)."""
        self.drop()
        self.job = self._current[0] = HardwareJob(request).start()
        self._seen = ("", -1.0)
        self.timer.start()
        return self.job

    def cancel(self) -> None:
        """Ask the running job to stop (it ends as cancelled at its next phase)."""
        if self.job is not None:
            self.job.cancel()

    def drop(self) -> None:
        """Stop the running job now and never report it."""
        if self.job is not None:
            self.job.stop()
        self.job = self._current[0] = None
        self.timer.stop()

    def poll(self) -> None:
        job = self.job
        if job is None:
            self.timer.stop()
            return
        job.poll()
        self.polled.emit(job)
        seen = (job.label, job.progress)
        if seen != self._seen:
            self._seen = seen
            self.progressed.emit(*seen)
        if job.finished:
            self.timer.stop()
            self.job = self._current[0] = None
            self.ended.emit(job)
