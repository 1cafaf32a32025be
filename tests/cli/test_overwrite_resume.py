"""``add_overwrite_resume``: the ``--overwrite``/``--resume`` pair of cli/common.py."""

from __future__ import annotations

import argparse

from temdefects.cli.common import add_overwrite_resume


def test_adds_both_flags_in_order_with_their_help():
    p = argparse.ArgumentParser()
    add_overwrite_resume(p, overwrite="replace it", resume="go on")
    actions = [a for a in p._actions if a.option_strings and a.dest != "help"]
    assert [a.option_strings for a in actions] == [["--overwrite"], ["--resume"]]
    assert [a.help for a in actions] == ["replace it", "go on"]
    assert vars(p.parse_args([])) == {"overwrite": False, "resume": False}
    assert vars(p.parse_args(["--resume"])) == {"overwrite": False, "resume": True}
