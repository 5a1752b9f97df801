"""aiops.core.wire.Reader: read-only GETs on kept-alive connections, against real sockets."""

from __future__ import annotations

import asyncio
import time

import pytest

from aiops.core import wire
from aiops.core.errors import UsageError
from aiops.core.http import FetchError
from tests.fakes.http_target import TargetServer


@pytest.fixture
def server():
    servers = []

    def start(mode: str = "healthy") -> TargetServer:
        servers.append(TargetServer(mode))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def get_all(urls: list[str], **kwargs) -> list[wire.Answer]:
    async def run() -> list[wire.Answer]:
        async with wire.Reader(timeout=kwargs.pop("timeout", 2.0), tls=lambda: None, **kwargs) as reader:
            return [await reader.get(u) for u in urls]

    return asyncio.run(run())


def test_polls_reuse_one_connection_and_send_the_headers(server):
    target = server()
    answers = get_all([target.url + "/health", target.url + "/metrics?x=1", target.url + "/live"],
                      headers={"Authorization": "Bearer t0k3n", "X-Scope-OrgID": "team-a"})
    assert [a.status for a in answers] == [200, 200, 200]
    assert b"ai_model_accuracy" in answers[1].body
    assert len(set(target.peers)) == 1, target.peers
    assert all(h["Authorization"] == "Bearer t0k3n" and h["X-Scope-OrgID"] == "team-a"
               for h in target.headers_seen)


def test_configured_credentials_win_over_the_url_s(server):
    target = server()
    url = target.url.replace("http://", "http://user:pw@") + "/health"
    get_all([url], headers={"Authorization": "Bearer t0k3n"})
    assert target.headers_seen[-1]["Authorization"] == "Bearer t0k3n"
    get_all([url])
    assert target.headers_seen[-1]["Authorization"].startswith("Basic ")


def test_a_connection_the_server_closed_is_replaced(server):
    target = server("close_delimited")  # every answer ends by closing the connection
    answers = get_all([target.url + "/health"] * 3)
    assert [a.status for a in answers] == [200, 200, 200]
    assert len(set(target.peers)) == 3


def test_redirects_are_followed_to_another_origin(server):
    home, moved = server(), server()
    moved.mode = f"moved:{home.url}"
    answer = get_all([moved.url + "/prometheus/api/v1/query?query=up"])[0]
    assert answer.status == 200
    assert home.requests == 1


def test_a_redirect_loop_is_one_error(server):
    target = server("redirect_loop")
    with pytest.raises(FetchError, match="too many redirects"):
        get_all([target.url + "/health"])


def test_a_silent_server_times_out_on_time(server):
    target = server("hang")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        get_all([target.url + "/health"], timeout=0.5)
    assert caught.value.kind == "timeout" and "timed out after 0.5s" in caught.value.reason
    assert time.monotonic() - started < 1.5


def test_bodies_are_capped(server):
    target = server("oversized")
    with pytest.raises(FetchError, match="exceeds the 1024-byte cap"):
        get_all([target.url + "/health"], max_body=1024)


@pytest.mark.parametrize("headers", [{"X-Evil": "a\r\nInjected: 1"}, {"Bad Name": "v"}, {"": "v"}])
def test_headers_that_would_break_the_request_are_refused(headers):
    with pytest.raises(UsageError):
        wire.Reader(timeout=1, tls=lambda: None, headers=headers)


def test_a_kept_connection_dropped_as_it_is_reused_is_retried_once_on_a_new_one():
    """A proxy's idle timeout can close a kept connection just as the next GET goes out."""
    connections = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")  # the second request on this connection: dropped
        writer.close()

    async def run() -> list[int]:
        srv = await asyncio.start_server(serve, "127.0.0.1", 0)
        url = "http://127.0.0.1:%d/api" % srv.sockets[0].getsockname()[1]
        async with wire.Reader(timeout=2.0, tls=lambda: None) as reader:
            statuses = [(await reader.get(url)).status for _ in range(3)]
        srv.close()
        return statuses

    assert asyncio.run(run()) == [200, 200, 200]
    assert len(connections) == 3
