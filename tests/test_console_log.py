"""run_sim.log: the console copied line by line with times, safely."""

from __future__ import annotations

import io
import os
import re
import sys

from sim.run.console_log import LOG_NAME, Tee, tee_console

STAMP = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]"


def test_lines_are_copied_with_times_as_a_terminal_finally_shows_them():
    console, log = io.StringIO(), io.StringIO()
    tee = Tee(console, log, "[stderr]")
    tee.write("bar 1/3\rbar 2/3\rbar 3/3\n")  # a progress bar redrawn in place
    tee.write("half a ")
    tee.write("line\n\n")
    tee.write("\rerased\r       \r")  # a bar that clears itself at the end
    tee.close_line()
    assert console.getvalue().startswith("bar 1/3\rbar 2/3")  # the console gets it all
    lines = log.getvalue().split("\n")
    assert re.fullmatch(STAMP + r"\[stderr\] bar 3/3", lines[0])
    assert re.fullmatch(STAMP + r"\[stderr\] half a line", lines[1])
    assert lines[2:] == ["", ""]  # the blank line kept, nothing of the erased bar


def test_tee_console_restores_the_streams_and_appends(tmp_path):
    out, err = sys.stdout, sys.stderr
    for word in ("first", "second"):
        with tee_console(tmp_path):
            print(word)
            print("oops", file=sys.stderr)
        assert sys.stdout is out and sys.stderr is err
    text = (tmp_path / LOG_NAME).read_text(encoding="utf-8")
    assert re.findall(r"\] (\w+)", text) == ["first", "oops", "second", "oops"]
    assert text.count("[stderr]") == 2


def test_a_planted_symlink_is_never_written_through(tmp_path):
    target = tmp_path / "victim.txt"
    target.write_text("keep")
    run = tmp_path / "run"
    run.mkdir()
    os.symlink(target, run / LOG_NAME)
    with tee_console(run):
        print("hello")
    assert target.read_text() == "keep"
    assert sys.stdout.__class__.__name__ != "Tee"


def test_what_is_written_unlogged_reaches_the_console_only(tmp_path, capsys):
    from sim.run.console_log import unlogged

    with tee_console(tmp_path):
        print("kept")
        print("secret-passphrase", file=unlogged(sys.stdout))
    assert "secret-passphrase" in capsys.readouterr().out
    text = (tmp_path / LOG_NAME).read_text(encoding="utf-8")
    assert "kept" in text and "secret-passphrase" not in text
    assert unlogged(sys.stdout) is sys.stdout  # outside a tee: the stream itself
