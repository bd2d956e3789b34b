"""`seatbridge sandbox serve` refuses a broken venue file with a clear message, not a traceback."""

from pathlib import Path

from click.testing import CliRunner

from bridge.cli import main


def test_a_broken_venue_file_is_a_clear_error(tmp_path: Path) -> None:
    venue = tmp_path / "venue.toml"
    venue.write_text('name = "x"\n[[sections]]\n')
    result = CliRunner().invoke(main, ["sandbox", "serve", "--venue", str(venue)])
    assert result.exit_code == 1
    assert "missing key 'id'" in result.output and "venue-format" in result.output
    assert "Traceback" not in result.output
