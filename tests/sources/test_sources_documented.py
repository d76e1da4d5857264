"""The README tells an operator what each registered source reads and which variables it needs."""

from __future__ import annotations

from pathlib import Path

from monitor.config import SourcesSettings
from sources import registry

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_source_and_its_credential_variables_are_in_the_readme() -> None:
    sources = README.split("## Sources", 1)[1].split("\n## ", 1)[0]
    for name, settings in SourcesSettings().items():
        assert name in registry()
        label = {"twitter": "X (`twitter`)"}.get(name, name.capitalize())
        assert f"\n| {label} |" in sources, name
        for var in settings.credential_envs().values():
            assert f"`{var}`" in sources, var
    assert set(registry()) == {name for name, _ in SourcesSettings().items()}
