"""The ``unionkit`` command: parse options, call one library function, map errors to exit codes.

Exit codes: 0 no errors (warnings allowed), 1 errors found or verification failed, 2 could not
run (bad usage, missing path, broken configuration). Nothing here is out of the library's reach.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import FederationConfig, load_config
from .errors import ToolkitError

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN = 0, 1, 2

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    help="Federation configuration (TOML); defaults from RULES.md when omitted.")


def _config(path: Path | None) -> FederationConfig:
    if path is not None and not path.exists():
        raise ToolkitError(f"configuration not found: {path}")
    return load_config(path)


def handles_errors(command: Callable[..., int]) -> Callable[..., None]:
    """Run a command body; a ToolkitError becomes one line on stderr and exit 2."""
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = command(*args, **kwargs)
        except ToolkitError as exc:
            click.echo(f"unionkit: {exc}", err=True)
            sys.exit(EXIT_CANNOT_RUN)
        sys.exit(code)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             epilog="""\b
Examples:
  unionkit sample --out sample_data
  unionkit validate sample_data/inbox --config sample_data/federation.toml
  unionkit templates --out templates_xlsx""")
@click.version_option(__version__, prog_name="unionkit")
def cli() -> None:
    """unionkit — 工会报表校验与汇总: check, consolidate and audit a union federation's workbooks."""


@cli.command(epilog="""\b
Example:
  unionkit templates --out templates_xlsx""")
@click.option("--out", "out_dir", default="templates_xlsx", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the workbooks.")
@config_option
@handles_errors
def templates(out_dir: Path, config_path: Path | None) -> int:
    """Write the blank federation templates (会员名册, 会费收缴, 经费收支账, 考核评分)."""
    from .spec import all_specs
    from .templates import write_blank_templates

    for path in write_blank_templates(_config(config_path), out_dir, all_specs()):
        click.echo(str(path))
    return EXIT_OK


@cli.command(epilog="""\b
Example:
  unionkit sample --out sample_data""")
@click.option("--out", "out_dir", default="sample_data", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder to write into.")
@handles_errors
def sample(out_dir: Path) -> int:
    """Write a realistic sample federation inbox with planted mistakes (see its README.md)."""
    from .sample import write_sample

    result = write_sample(out_dir)
    click.echo(f"{len(result.files)} files in {out_dir / 'inbox'}; "
               f"{len(result.planted)} deliberate mistakes listed in {out_dir / 'README.md'}")
    return EXIT_OK


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="unionkit")
