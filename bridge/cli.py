"""The `seatbridge` command: a thin door onto library calls. Each command group lives in
``bridge/commands/``; this module only assembles them."""

from __future__ import annotations

import click

from bridge.commands import register


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seatbridge")
def main() -> None:
    """Keep seats.io seating charts in step with Tessitura seat holds."""


register(main)

if __name__ == "__main__":  # pragma: no cover
    main()
