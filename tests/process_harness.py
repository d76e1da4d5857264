"""Run real `vigia` processes against loopback emulators that outlive them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import tomlkit

from monitor.config import Config


def fast_scoring(config: Config) -> Config:
    """The n-gram model: what these process tests check (nothing lost, nothing twice under
    kills and several workers) does not depend on the model, and the default model's sentence
    encoders would spend most of the run scoring thousands of mentions on 2 cores."""
    return config.model_copy(update={"sentiment": config.sentiment.model_copy(
        update={"model": "bundled-fast"})})


def write_config(config: Config, path: Path) -> Path:
    """Serialise a (sandbox-pointed) config so a separate process can load it."""
    data = config.model_dump(mode="json", exclude={"path"}, exclude_none=True)
    path.write_text(tomlkit.dumps(data), encoding="utf-8")
    return path


def vigia_process(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """`python -m monitor.cli ...` with only the given secrets added to a clean environment."""
    full_env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
    full_env.update(env)
    full_env["PYTHONUNBUFFERED"] = "1"
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", *args],
        env=full_env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
