"""The README documents every setting and every CLI command (scripts depend on both)."""

from pathlib import Path

from unioncat.cli import build_parser
from unioncat.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    missing = [f"UNIONCAT_{name.upper()}" for name in Settings.model_fields if f"UNIONCAT_{name.upper()}" not in README]
    assert missing == []


def test_every_cli_command_is_in_the_readme():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse has no public accessor
    missing = [name for name in commands if f"`unioncat {name}" not in README]
    assert missing == []
