"""Django's MySQL/MariaDB backend, with health checks only for connections that sat idle.

CONN_HEALTH_CHECKS pings the server at the start of every request that reuses a persistent
connection. On the ingest path (Flume sends one request per log line) that ping measured as
5-8 % of the throughput. A connection that ran a query less than a second ago is alive with
overwhelming likelihood; if it died in that second, the request fails like any request caught
by an outage (503, the sender retries) and Django discards the connection at the request's end.
Connections idle for longer — the case health checks exist for: wait_timeout, a restarted
server during a quiet hour — are still pinged before use.
"""

import time

from django.db.backends.mysql import base

# A connection used within this many seconds is not pinged again before its next request.
IDLE_BEFORE_PING_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _last_cursor_at = 0.0

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and not self.health_check_done
            and time.monotonic() - self._last_cursor_at < IDLE_BEFORE_PING_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def create_cursor(self, name=None):
        self._last_cursor_at = time.monotonic()
        return super().create_cursor(name)

    def _close(self):
        self._last_cursor_at = 0.0
        return super()._close()
