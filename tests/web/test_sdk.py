"""The JavaScript SDK's own tests (tests/web/sdk/*.test.mjs) under node's test runner,
against the real server, so the suite's one command covers them too."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import trio

from courtside.server.node import Node
from tests.conftest import TEST_SECRET

SDK_TESTS = sorted((Path(__file__).parent / "sdk").glob("*.test.mjs"))
NODE_TIMEOUT_S = 120


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node (20 or later) is needed for the SDK's tests and is not installed")
        pytest.skip("the SDK's tests need node 20 or later: install Node.js to run them")
    return node


async def test_sdk_unit_and_live_server_tests_pass_under_node(node: Node) -> None:
    assert SDK_TESTS, "no SDK tests found"
    with trio.fail_after(NODE_TIMEOUT_S):
        result = await trio.run_process(
            # Node 20 has WebSocket behind this flag; 22 and later have it anyway.
            [_node(), "--experimental-websocket", "--test", "--test-reporter=spec", *map(str, SDK_TESTS)],
            env={**os.environ, "COURTSIDE_URL": node.http_url, "COURTSIDE_TEST_SECRET": TEST_SECRET,
                 "NODE_NO_WARNINGS": "1"},
            capture_stdout=True, capture_stderr=True, check=False,
        )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 0, output
    assert "ℹ fail 0" in output and "ℹ pass 0" not in output, output
