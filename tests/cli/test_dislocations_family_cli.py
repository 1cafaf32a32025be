"""``temdefects dislocations ACTION`` and its top-level aliases parse alike."""

from __future__ import annotations

import pytest

from temdefects.cli import dislocations
from temdefects.cli.main import main
from temdefects.cli.parser import build_parser


def _names(module) -> str:
    sub = build_parser()._subparsers._group_actions[0]
    return next(name for name, p in sub.choices.items() if p.description == module.HELP)


@pytest.mark.parametrize("module", dislocations.ACTIONS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_family_form_and_alias_parse_to_the_same_command(module, tmp_path):
    name = _names(module)
    parser = build_parser()
    family = parser._subparsers._group_actions[0].choices["dislocations"]
    assert name in family._subparsers._group_actions[0].choices
    # the same options on both forms
    alias_opts = {a.dest for a in parser._subparsers._group_actions[0].choices[name]._actions}
    family_opts = {a.dest for a in family._subparsers._group_actions[0].choices[name]._actions}
    assert alias_opts == family_opts


def test_analyze_family_form_runs_the_same_body(tmp_path):
    parser = build_parser()
    alias = parser.parse_args(["analyze", "a.png", "-o", str(tmp_path)])
    family = parser.parse_args(["dislocations", "analyze", "a.png", "-o", str(tmp_path)])
    assert family.command == "dislocations" and family.action == "analyze"
    assert alias.run is family.run
    assert {k: v for k, v in vars(alias).items() if k != "command"} == {
        k: v for k, v in vars(family).items() if k not in ("command", "action")
    }


def test_error_line_names_the_form_typed(tmp_path, capsys):
    missing = tmp_path / "missing.png"
    assert main(["dislocations", "analyze", str(missing), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith("temdefects dislocations analyze: error:") for line in err)
    assert str(missing) in err[0]
    assert main(["analyze", str(missing), "-o", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.startswith("temdefects analyze: error:")


def test_family_without_action_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["dislocations"])
    assert exc.value.code == 2
    assert "ACTION" in capsys.readouterr().err
