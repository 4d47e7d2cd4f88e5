"""A broken LLM endpoint ends the campaign with exit 3 and one line that says what to do.

A real HTTP server on 127.0.0.1 (random port) answers every chat completion badly in one of the
ways real endpoints fail: an HTTP 500, a JSON body cut off mid-way, a well-formed JSON object
without `choices`, and an HTML error page (a proxy or a login portal). Each must give exit 3 and
exactly one stderr line naming the endpoint problem, the campaign id and the resume command,
never a Python traceback or the raw exception text of the client library. The campaign is left
resumable. The CLI runs through tests/unit/agent/_approval_support.py (real CLI, store, loop,
brain and HTTP client; only the container launch is faked).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sentinel.agent.store import FeedbackStore

DRIVER = Path(__file__).resolve().parents[1] / "unit" / "agent" / "_approval_support.py"
MODEL = "test-model"
BODIES = {
    "http500": (500, "application/json", b'{"error": {"message": "internal server error"}}'),
    "truncated": (200, "application/json", b'{"id": "c1", "object": "chat.completion", "choices": [{"ind'),
    "no_choices": (200, "application/json", b'{"id": "c1", "object": "chat.completion", "model": "m"}'),
    "html": (200, "text/html", b"<!DOCTYPE html><html><body><h1>Sign in to continue</h1></body></html>"),
}
PROBLEM = {
    "http500": "HTTP 500",
    "truncated": "not valid JSON",
    "no_choices": "no choices",
    "html": "not valid JSON",
}


class FaultyServer(ThreadingHTTPServer):
    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode, self.hits = mode, 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FaultyServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.hits += 1
        status, kind, body = BODIES[self.server.mode]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(params=sorted(BODIES))
def server(request: pytest.FixtureRequest) -> Iterator[FaultyServer]:
    pytest.importorskip("openai", reason="--api-base needs the openai package (smolagents[openai])")
    srv = FaultyServer(request.param)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def test_each_endpoint_failure_is_one_line_exit_3_with_the_resume_command(
    tmp_path: Path, server: FaultyServer
) -> None:
    runs = tmp_path / "runs"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTINEL_LLM", "OPENAI"))}
    env.update({"SENTINEL_REVIEWS": str(tmp_path / "reviews"), "NO_COLOR": "1", "COLUMNS": "200"})
    argv = [sys.executable, str(DRIVER), "campaign", "run", "digits:quick", "--budget", "1"]
    argv += ["--brain", "llm", "--model", MODEL, "--api-base", server.url, "--runs-dir", str(runs), "--json"]
    done = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)

    assert done.returncode == 3, done.stderr
    assert server.hits >= 1
    [line] = done.stderr.strip().splitlines()
    [campaign] = FeedbackStore(runs / "feedback.db").list_campaigns()
    assert line.startswith("error: the LLM endpoint "), line
    assert PROBLEM[server.mode] in line, line
    assert f"campaign {campaign.id}" in line and f"sentinel campaign resume {campaign.id}" in line, line
    assert "Traceback" not in done.stderr and not re.search(r"\b(File|line \d+, in)\b", done.stderr)
    assert campaign.state == "failed" and not FeedbackStore(runs / "feedback.db").proposals(campaign.id)
