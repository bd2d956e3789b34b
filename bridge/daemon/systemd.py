"""systemd's notify protocol (``Type=notify``), in a few lines over ``$NOTIFY_SOCKET``.

``READY=1`` once the config and the store are good and the daemon is active or standing by, so
``systemctl start`` fails when they are not (the process exits first); ``WATCHDOG=1`` at half of
``$WATCHDOG_USEC`` from a task on the event loop, so a stuck loop is restarted (``WatchdogSec=``);
``STOPPING=1`` at a stop; ``STATUS=`` lines for ``systemctl status``. No dependency: the protocol
is one AF_UNIX datagram per message (sd_notify(3)); a name starting with ``@`` is in the abstract
namespace. Outside systemd (no ``$NOTIFY_SOCKET``) every call does nothing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import structlog

__all__ = ["Notifier"]

log = structlog.get_logger("seatbridge.daemon")


class Notifier:
    """Tells systemd how the daemon is doing; silent when not run by systemd."""

    def __init__(self, address: str | None, watchdog_usec: int | None = None) -> None:
        self.address = address or None
        #: how often systemd wants WATCHDOG=1, in seconds (None: no watchdog asked for)
        self.watchdog_s = watchdog_usec / 1e6 if watchdog_usec else None
        self._ready = False
        self._stopping = False
        self._failed = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd set up for this process: ``$NOTIFY_SOCKET``, and the watchdog
        from ``$WATCHDOG_USEC`` when ``$WATCHDOG_PID`` is unset or this process."""
        env = os.environ if environ is None else environ
        usec: int | None = None
        pid = env.get("WATCHDOG_PID", "")
        if pid in ("", str(os.getpid())):
            try:
                usec = int(env.get("WATCHDOG_USEC", "")) or None
            except ValueError:
                usec = None
        return cls(env.get("NOTIFY_SOCKET"), usec)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_every_s(self) -> float | None:
        """How often to send WATCHDOG=1: half the interval systemd waits (sd_watchdog_enabled)."""
        return None if self.watchdog_s is None or not self.enabled else self.watchdog_s / 2

    def send(self, *lines: str) -> bool:
        """One message of ``lines``; False when it could not be sent (logged once)."""
        if self.address is None:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto("\n".join(lines).encode(), target)
        except OSError as exc:
            if not self._failed:
                log.warning("could not notify systemd", socket=self.address, error=str(exc))
                self._failed = True
            return False
        return True

    def ready(self, status: str) -> None:
        """The daemon serves (active or standing by): ``READY=1`` the first time, then only the
        status (a standby that became active)."""
        if self._stopping:
            return
        if self._ready:
            self.status(status)
            return
        self._ready = True
        self.send("READY=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        """A line for ``systemctl status``."""
        self.send(f"STATUS={status}")

    def watchdog(self) -> None:
        """The event loop is alive."""
        self.send("WATCHDOG=1")

    def stopping(self, status: str = "stopping") -> None:
        """The daemon began to stop: ``STOPPING=1``, once."""
        if not self._stopping:
            self._stopping = True
            self.send("STOPPING=1", f"STATUS={status}")
