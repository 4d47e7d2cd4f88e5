"""`sentinel campaign run --brain llm --api-base URL` against a real HTTP server on 127.0.0.1.

The test starts a tiny OpenAI-compatible chat-completions server (http.server in a thread, random
port) that answers with scripted completions and records every request. The campaign runs through
tests/unit/agent/_approval_support.py: the real `sentinel` CLI with only the container launch faked
at the transport seam, so option parsing, smolagents' OpenAI client, the HTTP exchange, the agent,
the tools, the loop and the store are all real. The server accepts only the key from the
environment, so a finished campaign proves the key was sent, and the test then searches the store,
the runs folder and the CLI's output for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sentinel.agent.store import FeedbackStore

DRIVER = Path(__file__).resolve().parents[1] / "unit" / "agent" / "_approval_support.py"
KEY = "sk-sentinel-e2e-5a4b3c2d1e0f9a8b7c6d5e4f"
MODEL = "test-model"


def code(body: str) -> dict[str, Any]:
    return {"role": "assistant", "content": f"Thought: next.\n<code>\n{body}\n</code>"}


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    call = {
        "id": "call_0",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


class ChatServer(ThreadingHTTPServer):
    """POST /v1/chat/completions -> the next scripted message; 401 unless the bearer key is KEY."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.keys_seen: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def do_POST(self) -> None:  # http.server dispatches on the method name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append(body)
            self.server.keys_seen.append(self.headers.get("Authorization", ""))
            if self.headers.get("Authorization") != f"Bearer {KEY}":
                wrong = self.headers.get("Authorization", "")
                # like a provider echoing the key it refused, to check Sentinel redacts it
                return self._send(401, {"error": {"message": f"Incorrect API key provided: {wrong}"}})
            if self.path != "/v1/chat/completions" or not self.server.script:
                return self._send(404, {"error": {"message": "no scripted completion left"}})
            message = self.server.script.pop(0)
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        usage = {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55}
        self._send(200, {"id": "c1", "object": "chat.completion", "created": 0, "model": MODEL,
                         "choices": [choice], "usage": usage})  # fmt: skip

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[ChatServer]:
    pytest.importorskip("openai", reason="--api-base needs the openai package (smolagents[openai])")
    srv = ChatServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.runs = tmp_path / "runs"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTINEL_LLM", "OPENAI"))}
        self.env.update({"SENTINEL_RUNS": str(self.runs), "SENTINEL_REVIEWS": str(tmp_path / "reviews")})
        self.env.update({"SENTINEL_LLM_API_KEY": KEY, "NO_COLOR": "1", "COLUMNS": "200"})
        self.cwd = tmp_path

    def campaign(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, str(DRIVER), "campaign", *args]
        return subprocess.run(argv, env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=180)

    def store(self) -> FeedbackStore:
        return FeedbackStore(self.runs / "feedback.db")

    def assert_no_key_written(self, *outputs: subprocess.CompletedProcess[str]) -> None:
        files = [p for p in self.runs.rglob("*") if p.is_file()]
        assert any(p.name == "feedback.db" for p in files)
        for path in files:
            assert KEY.encode() not in path.read_bytes(), path
        for out in outputs:
            assert KEY not in out.stdout and KEY not in out.stderr


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def llm_args(server: ChatServer, *extra: str) -> list[str]:
    return ["--brain", "llm", "--model", MODEL, "--api-base", server.url, "--json", *extra]


def test_code_agent_campaign_through_the_cli_over_http(cli: Cli, server: ChatServer) -> None:
    server.script = [
        code("print(get_experiment_history(last=10))\nprint(suggest_search_space())"),
        code('print(run_training(overrides=["trainer.lr=0.02"], rationale="Baseline."))'),
        code('print(run_training(overrides=["trainer.lr=0.005"], rationale="A quarter of the rate."))'),
    ]
    done = cli.campaign("run", "digits:quick", "--budget", "2", *llm_args(server))
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["state"] == "finished" and outcome["runs"] == 2

    assert len(server.requests) == 3 and not server.script
    assert server.keys_seen == [f"Bearer {KEY}"] * 3
    first = server.requests[0]
    assert first["model"] == MODEL and "</code>" in first["stop"]
    system = first["messages"][0]
    assert system["role"] == "system" and "def run_training(overrides: array" in json.dumps(system)
    assert "def register_generated_model" not in json.dumps(system)  # digits:quick stays at tier 1
    observed = json.dumps(server.requests[1]["messages"])
    assert "BEGIN DATA history" in observed and "BEGIN DATA search space" in observed

    proposals = cli.store().proposals(outcome["campaign_id"])
    assert [dict(p.overrides) for p in proposals] == [{"trainer.lr": 0.02}, {"trainer.lr": 0.005}]
    assert all(p.brain == "llm" and p.rationale.endswith(f"(LLM brain, model {MODEL})") for p in proposals)
    cli.assert_no_key_written(done)


def test_tool_calling_agent_campaign_through_the_cli_over_http(cli: Cli, server: ChatServer) -> None:
    server.script = [
        tool_call("check_drift", {}),
        tool_call("run_training", {"overrides": ["model=cnn1d", "trainer.lr=0.01"], "rationale": "CNN."}),
    ]
    done = cli.campaign("run", "digits:quick", "--budget", "1", *llm_args(server, "--agent-style", "tools"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runs"] == 1
    offered = [t["function"]["name"] for t in server.requests[0]["tools"]]
    assert "run_training" in offered and "final_answer" in offered and "create_config_variant" not in offered
    assert server.requests[0]["tool_choice"] == "required"
    reply = [m for m in server.requests[1]["messages"] if m["role"] in ("tool", "user")]
    assert "recommendation:" in json.dumps(reply)  # check_drift's answer went back to the model
    cli.assert_no_key_written(done)


def test_a_refused_key_or_a_dead_endpoint_is_exit_3_and_resume_continues(
    cli: Cli, server: ChatServer
) -> None:
    wrong = "sk-wrong-key-9f8e7d6c5b4a"
    cli.env["SENTINEL_LLM_API_KEY"] = wrong
    refused = cli.campaign("run", "digits:quick", "--budget", "1", *llm_args(server))
    assert refused.returncode == 3, refused.stderr
    [line] = refused.stderr.strip().splitlines()
    [campaign] = cli.store().list_campaigns()
    assert line.startswith(
        f"error: the LLM endpoint ({MODEL} at {server.url}) answered HTTP 401 (the key was"
    )
    assert line.endswith(f"then run `sentinel campaign resume {campaign.id}`")
    assert wrong not in refused.stderr
    assert campaign.state == "failed"

    cli.env["SENTINEL_LLM_API_KEY"] = KEY
    dead = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there
    down = cli.campaign("resume", campaign.id, "--model", MODEL, "--api-base", dead, "--json")
    assert down.returncode == 3 and "could not be reached (connection failed)" in down.stderr, down.stderr

    missing = cli.campaign("resume", campaign.id, "--json")
    assert missing.returncode == 2 and "the LLM brain needs --model" in missing.stderr

    server.script = [code('print(run_training(overrides=["trainer.lr=0.02"], rationale="Baseline."))')]
    resumed = cli.campaign("resume", campaign.id, "--model", MODEL, "--api-base", server.url, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["state"] == "finished"
    cli.assert_no_key_written(refused, down, resumed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--brain", "llm"], "the LLM brain needs --model"),
        (["--brain", "llm", "--model", "m", "--api-base", "http://user:pw@127.0.0.1:1/v1"], "credentials"),
        (["--brain", "llm", "--model", "m", "--api-base", "127.0.0.1:1"], "--api-base must be an http"),
        (
            ["--brain", "llm", "--model", "m", "--api-base", "http://127.0.0.1:1/v1", "--agent-style", "x"],
            "style",
        ),
    ],
)
def test_bad_llm_options_are_exit_2_and_write_nothing(cli: Cli, args: list[str], message: str) -> None:
    bad = cli.campaign("run", "digits:quick", *args)
    lines = bad.stderr.strip().splitlines()
    assert bad.returncode == 2 and len(lines) == 1 and message in lines[0], bad.stderr
    assert not (cli.runs / "feedback.db").exists()
