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


def test_demo_shows_a_seat_sold_online_held_in_tessitura_and_unsellable_there() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # rich wraps long lines
    assert "the bridge holds it in Tessitura: hold code 90 (Sold Online (seatbridge))" in out
    assert "the box office tries to sell it: refused, the seat is held" in out
    assert "lifts its hold and the box office can sell the seat again" in out
