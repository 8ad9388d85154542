"""`steplabel build` asks every endpoint before Ray starts: a wrong URL, key or model stops it with
exit 2 in one line naming the endpoint and what it answered; what may pass is said and the build
goes on. Real loopback servers: the scripted OpenAI-compatible one, and one that answers a fixed status."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.build import check_endpoints
from steplabel.pipeline.cli import main
from steplabel.pipeline.config import load_config
from steplabel.pipeline.preflight import EXIT_CONFIG, StartError
from tests.support.fixed_server import FixedAnswer
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.integration


def _config(tmp_path: Path, judge: dict, **more) -> Path:
    (tmp_path / "in.jsonl").write_text(json.dumps({"problem": "What is 1 + 1?", "answer": "2", "text": "1 + 1 = 2"}))
    config = {"name": "start-check", "input": {"kind": "files", "path": str(tmp_path / "in.jsonl")},
              "labelers": [{"name": "outcome"}, {"name": "judge", "options": {"endpoint": {
                  "timeout": 5, "max_retries": 0, **judge}}}],
              "merge": {"order": ["judge", "outcome"]}, "run": {"out": str(tmp_path / "out")}, **more}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _refused_url() -> str:
    with socket.socket() as s:  # a port nothing listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


_BUILD = """
import json, sys
from steplabel.pipeline.cli import main
rc = main(["build", sys.argv[1]])
print(json.dumps({"rc": rc, "ray_imported": "ray" in sys.modules}))
"""


def test_a_wrong_url_stops_the_build_before_ray_with_exit_2(tmp_path):
    path = _config(tmp_path, {"base_url": _refused_url(), "model": "j"})
    done = subprocess.run([sys.executable, "-c", _BUILD, str(path)], capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {"rc": EXIT_CONFIG, "ray_imported": False}, done.stderr
    problem = [line for line in done.stderr.splitlines() if "endpoint check failed" in line]
    assert len(problem) == 1 and "labelers.1.options.judges.0" in problem[0], done.stderr
    assert "connection refused" in problem[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_url_that_is_no_openai_server_a_wrong_key_and_a_wrong_model_are_named(tmp_path, capsys):
    with FixedAnswer(404) as web:
        assert main(["build", str(_config(tmp_path, {"base_url": web.url + "/v1", "model": "j"}))]) == EXIT_CONFIG
    assert "models: HTTP 404 Not Found: Not Found" in capsys.readouterr().err
    with OpenAIServer(models=["judge-model"], api_key="sk-right") as srv:
        wrong_key = _config(tmp_path, {"base_url": srv.base_url, "model": "judge-model", "api_key_env": "JUDGE_KEY"})
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("JUDGE_KEY", "sk-wrong")
            assert main(["build", str(wrong_key)]) == EXIT_CONFIG
            assert "HTTP 401 Unauthorized: Incorrect API key provided" in capsys.readouterr().err
            mp.setenv("JUDGE_KEY", "sk-right")
            typo = _config(tmp_path, {"base_url": srv.base_url, "model": "judge-modle", "api_key_env": "JUDGE_KEY"})
            assert main(["build", str(typo)]) == EXIT_CONFIG
        err = " ".join(capsys.readouterr().err.split())
        assert "model 'judge-modle': HTTP 404 Not Found: The model `judge-modle` does not exist." in err, err
        assert "(the server lists: judge-model)" in err
        assert srv.stats()["served_total"] == 0  # nothing was labeled: no request was paid for
    assert not (tmp_path / "out").exists()


def test_what_may_pass_is_said_and_a_server_that_takes_any_model_name_is_asked_once(tmp_path):
    with FixedAnswer(503, {"error": {"message": "loading the model"}}) as busy:
        said: list[str] = []
        check_endpoints(load_config(_config(tmp_path, {"base_url": busy.url + "/v1", "model": "j"})), said.append)
    assert len(said) == 1 and "HTTP 503" in said[0] and "going on" in said[0], said
    assert busy.requests == 2  # tried again once
    with OpenAIServer() as srv:  # lists "scripted" and answers any name, as llama.cpp's server does
        said = []
        check_endpoints(load_config(_config(tmp_path, {"base_url": srv.base_url, "model": "my-judge"})), said.append)
        assert srv.stats()["served_total"] == 1  # one one-token request for the unlisted model
    assert len(said) == 1 and "it answered a one-token request" in said[0], said
    with pytest.raises(StartError, match="api_key_env: environment variable NO_SUCH_KEY_ENV is not set"):
        check_endpoints(load_config(_config(tmp_path, {"base_url": _refused_url(), "model": "j",
                                                       "api_key_env": "NO_SUCH_KEY_ENV"})), said.append)
