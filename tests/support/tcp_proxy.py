"""A TCP forwarder that a test can cut, to make a database unavailable to one server process.

Stopping MariaDB itself would break every other user of the machine's server; cutting the
portal's own path to it shows the portal exactly what an outage looks like (connections reset,
new connections refused) and nothing else.

Each forwarded connection is a pair of sockets pumped by two threads. Only the pair's last pump
to finish closes its sockets; cut() and the other pump only shut them down, which wakes a pump
blocked in recv(). Closing a socket that another thread is about to recv() on frees its file
descriptor number while that thread still holds it: the next socket the process opens (a
connection made after restore()) gets the number, and the stale thread reads that connection's
bytes and drops them. The portal then waits forever for an answer to a query the database never
received, which no outage does (seen: a Thrift intake worker stuck after restore()).
"""

import contextlib
import socket
import threading


class _Pair:
    __slots__ = ("client", "upstream", "running")

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client = client
        self.upstream = upstream
        self.running = 2  # pumps not finished yet

    def shutdown(self) -> None:
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._pairs: set[_Pair] = set()
        self._lock = threading.Lock()
        self._up = True
        self._flowing = threading.Event()  # cleared by stall()
        self._flowing.set()
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        """Reset every open connection and refuse new ones until restore()."""
        with self._lock:
            self._up = False
            pairs = list(self._pairs)
            self._pairs.clear()
        for pair in pairs:
            pair.shutdown()  # its pumps wake, finish and close it

    def stall(self) -> None:
        """A silent network path: connections stay open, new ones are accepted, but no byte gets
        through either way until restore(); then what was held is delivered, as TCP does when a
        partition heals. No reset, no refusal: only a timeout tells a client anything."""
        self._flowing.clear()

    def restore(self) -> None:
        with self._lock:
            self._up = True
        self._flowing.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._flowing.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); the loop closes it
        self._acceptor.join(5)

    def _accept_loop(self) -> None:
        try:
            while not self._closed:
                try:
                    client, _ = self._listener.accept()
                except OSError:
                    return
                self._forward(client)
        finally:
            self._listener.close()

    def _forward(self, client: socket.socket) -> None:
        with self._lock:
            up = self._up
        if not up:
            client.close()  # the client sees its connection closed at once, like a dead server
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        pair = _Pair(client, upstream)
        with self._lock:
            up = self._up  # cut() may have run while this connection was being made
            if up:
                self._pairs.add(pair)
        if not up:
            client.close()
            upstream.close()
            return
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(pair, src, dst), daemon=True).start()

    def _pump(self, pair: _Pair, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                self._flowing.wait()
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            pair.shutdown()  # one direction ended: the connection ends (wakes the other pump)
            with self._lock:
                self._pairs.discard(pair)
                pair.running -= 1
                last = pair.running == 0
            if last:
                pair.client.close()
                pair.upstream.close()
