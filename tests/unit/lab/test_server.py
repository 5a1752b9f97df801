"""Binding the lab's listening socket."""

from __future__ import annotations

import socket

import pytest

from aiops.core.errors import UsageError
from aiops.lab.server import bind, url_for


def test_bind_port_0_picks_a_free_tcp_port():
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockname()[1] > 0
        # asyncio sets TCP_NODELAY only on accepted sockets whose proto is TCP; without it,
        # Nagle's algorithm delays keep-alive responses by ~40 ms.
        assert sock.proto == socket.IPPROTO_TCP
        assert url_for(sock) == f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_a_port_in_use_is_a_usage_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UsageError) as err:
            bind("127.0.0.1", port)
    assert err.value.message == f"port {port} on 127.0.0.1 is already in use"
    assert "--port 0" in err.value.hint


def test_bad_ports_and_hosts():
    with pytest.raises(UsageError):
        bind("127.0.0.1", 70000)
    with pytest.raises(UsageError, match="cannot listen on host"):
        bind("no-such-host.invalid", 0)
