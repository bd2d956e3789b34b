"""`seatbridge demo` (the README's first command) tells the whole story and ends converged."""

from click.testing import CliRunner

from bridge.cli import main


def test_demo_runs_the_story_and_ends_converged_with_the_conflict_reported() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Minimal plan" in out
    assert "conflict" in out and "Orchestra-G-10" in out
    assert "A third plan: nothing to do" in out
