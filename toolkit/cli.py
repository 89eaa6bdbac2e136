"""The ``unionkit`` command: parse options, call one library function, map errors to exit codes.

Exit codes: 0 no errors (warnings allowed), 1 errors found or verification failed, 2 could not
run (bad usage, missing path, broken configuration, an output that cannot be written), 3 an
internal error (one line; ``UNIONKIT_DEBUG=1`` shows the traceback). Nothing here is out of the
library's reach.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial, wraps
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from . import __version__
from .atomic import atomic_path, remove_live
from .config import FederationConfig, config_fingerprint, load_config
from .errors import ToolkitError
from .messages import LANGS, catalog, default_lang, say
from .outputs import check_outputs

EXIT_OK, EXIT_FINDINGS, EXIT_CANNOT_RUN, EXIT_INTERNAL = 0, 1, 2, 3

def _lang_of(ctx: click.Context | None) -> str:
    """The language asked for: this command's --lang (or UNIONKIT_LANG), else Chinese."""
    while ctx is not None:
        if "lang" in ctx.meta:
            return ctx.meta["lang"]
        ctx = ctx.parent
    return default_lang()


def _remember_lang(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A command's --lang; left at its default, the group's (``unionkit --lang en validate``)."""
    if ctx.get_parameter_source(param.name) is ParameterSource.DEFAULT and "lang" in ctx.meta:
        return ctx.meta["lang"]
    ctx.meta["lang"] = value
    return value


lang_option = click.option(
    "--lang", type=click.Choice(LANGS), default="zh", envvar="UNIONKIT_LANG",
    is_eager=True, callback=_remember_lang)  # eager: ``--lang en --help`` shows English


class Localized(click.Command):
    """A command whose help, option help, headings and examples come from the catalog, in the
    language of --lang (given before --help) or UNIONKIT_LANG: ``help.<command>`` and
    ``option.<name>``; the examples are the command's own lines (``examples``)."""

    def __init__(self, *args: Any, examples: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.examples = examples
        if not isinstance(self, click.Group):  # extra arguments are refused in our words
            self.context_settings.setdefault("allow_extra_args", True)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            rest = super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = exc.ctx or ctx  # click's parser leaves it out: the usage line needs it
            raise
        if not isinstance(self, click.Group) and ctx.args and not ctx.resilient_parsing:
            raise Said(say("usage.extra_argument", _lang_of(ctx), args=" ".join(ctx.args)), ctx)
        return rest

    def _localize(self, lang: str) -> None:
        self.help = say(f"help.{self.name}", lang)
        if self.examples:
            self.epilog = f"\b\n{say('help.examples', lang)}\n{self.examples}"
        for param in self.params:
            if isinstance(param, click.Option) and f"option.{param.name}" in catalog():
                param.help = say(f"option.{param.name}", lang)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._localize(_lang_of(ctx))
        super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        """The help's first sentence, cut to ``limit`` columns as shown (click's own cut
        counts words, and a Chinese sentence is one)."""
        from .render.text import clip, width

        self._localize(_lang_of(click.get_current_context(silent=True)))
        first = (self.help or "").split("。")[0].split(". ")[0].rstrip(".")
        return first if width(first) <= limit else clip(first, limit - 1) + "…"

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)),
                              say("help.usage", _lang_of(ctx)) + " ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        params = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]
        for p in params:
            if "--help" in p.opts or "--version" in p.opts:  # click's own options
                p.help = say("option.help" if "--help" in p.opts else "option.version",
                             _lang_of(ctx))
        rows = [row for p in params if (row := _help_row(p, ctx))]
        if rows:
            with formatter.section(say("help.options", _lang_of(ctx))):
                formatter.write_dl(rows)


def _help_row(option: click.Option, ctx: click.Context) -> tuple[str, str] | None:
    """An option's line in --help, its default and whether it is required in our words."""
    record = option.get_help_record(ctx)
    if record is None:
        return None
    lang, extra = _lang_of(ctx), option.get_help_extra(ctx)
    notes = [say("help.default", lang, value=extra["default"])] if "default" in extra else []
    notes += [say("help.required", lang)] if "required" in extra else []
    shown = option.help or ""
    return record[0], f"{shown}  [{'; '.join(notes)}]" if notes else shown


class Said(click.UsageError):
    """A usage error already said in the user's language (the rest are click's, said again in
    ours by :func:`usage_text`)."""


class LocalizedGroup(Localized, click.Group):
    """The ``unionkit`` group, localized like its commands."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None \
                and not ctx.resilient_parsing:
            close = difflib.get_close_matches(name, self.list_commands(ctx), 1)
            raise Said(say("usage.no_such_command_close" if close else "usage.no_such_command",
                           _lang_of(ctx), name=name, close=close[0] if close else ""), ctx)
        return super().resolve_command(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        Localized.format_options(self, ctx, formatter)
        commands = [(name, cmd) for name in self.list_commands(ctx)
                    if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if commands:
            width = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section(say("help.commands", _lang_of(ctx))):
                formatter.write_dl([(name, cmd.get_short_help_str(width))
                                    for name, cmd in commands])


def command(examples: str, name: str | None = None, group: click.Group | None = None
            ) -> Callable[[Callable[..., Any]], click.Command]:
    """A unionkit command (of ``group``, default the top one): localized help
    (:class:`Localized`), --lang, and its examples."""
    def decorate(function: Callable[..., Any]) -> click.Command:
        return (group or cli).command(name, cls=Localized, examples=examples)(
            lang_option(function))
    return decorate


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path))


def parallel_options(command: Callable[..., int]) -> Callable[..., int]:
    """--workers and --dask: where the per-file stage runs."""
    command = click.option("--dask", "dask_address", metavar="ADDRESS")(command)
    return click.option("--workers", type=int, metavar="N")(command)


output_option = click.option(
    "--output", "output", type=click.Path(dir_okay=False, path_type=Path))
full_option = click.option("--full", is_flag=True)

#: What a console that cannot show a character shows instead (GBK has √ and ×, not ✓ and ✗).
_NEAREST = {"✓": "√", "✗": "×", "−": "-", "–": "-", "—": "-", "…": "...", "→": "->"}


def _nearest(exc: UnicodeError) -> tuple[str, int]:
    """The codec error handler of standard output and error: each character the console's
    encoding lacks as its nearest it has, else ``?`` — output never raises."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = ""
    for ch in exc.object[exc.start:exc.end]:
        sub = _NEAREST.get(ch, "?")
        try:
            sub.encode(exc.encoding)
        except (UnicodeError, LookupError):
            sub = "?"
        out += sub
    return out, exc.end


codecs.register_error("unionkit-nearest", _nearest)


def _report(text: str, output: Path | None, lang: str, utf8: bool = False) -> None:
    """A command's report: into ``--output`` (UTF-8, whole or not at all), else standard
    output. JSON and HTML go out as UTF-8 whatever the console's encoding, so ``> 报告.html``
    on Chinese Windows gives the file its charset says; text takes the console's encoding."""
    if output is not None:
        with atomic_path(output) as tmp:
            tmp.write_bytes(text.encode("utf-8"))
        _note(say("say.report_written", lang, path=output))
        return
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if utf8 and encoding != "utf8" and hasattr(stream, "buffer"):
        stream.flush()
        stream.buffer.write(text.encode("utf-8"))
        stream.buffer.flush()
    else:
        click.echo(text, nl=False)


register_option = click.option(
    "--register", "register_path", type=click.Path(dir_okay=False, path_type=Path))


def register_options(command: Callable[..., int]) -> Callable[..., int]:
    """--register PATH and --no-register: where (and whether) the run is recorded."""
    command = click.option("--no-register", is_flag=True)(command)
    return register_option(command)


def _note(text: str) -> None:
    """One line on standard error: what a command says beside its report."""
    click.echo(f"unionkit: {text}", err=True)


def _register(path: Path | None, config: FederationConfig, off: bool = False) -> Any:
    """The open register for this run, or None with --no-register."""
    if off:
        return None
    from . import register

    return register.Register(path or register.default_path(config))


def _privacy(config: FederationConfig, full: bool) -> FederationConfig:
    """The configuration of a run with --full: nothing masked (the treasurer's own copy)."""
    from .privacy import in_mode

    return in_mode(config, "full") if full else config


def _config(path: Path | None, lang: str) -> FederationConfig:
    """The federation's configuration; without --config the defaults, and a line saying so
    (the defaults name no federation and list no branch, so nothing is 未报送)."""
    if path is None:
        _note(say("say.no_config", lang))
    elif not path.exists():
        raise ToolkitError("config_not_found", path=path)
    return load_config(path)


def handles_errors(command: Callable[..., int]) -> Callable[..., None]:
    """Run a command body: a ToolkitError or an OS error (a folder that cannot be written, a
    full disk) becomes one line on stderr and exit 2; anything else is a bug in unionkit: one
    line and exit 3, never a traceback unless UNIONKIT_DEBUG is set."""
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        lang = kwargs.get("lang") or default_lang()
        try:
            code = command(*args, **kwargs)
        except ToolkitError as exc:
            _note(exc.message(lang))
            sys.exit(EXIT_CANNOT_RUN)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"unionkit: {where}{exc.strerror or exc}", err=True)
            sys.exit(EXIT_CANNOT_RUN)
        except (KeyboardInterrupt, SystemExit, click.exceptions.Exit, click.Abort):
            raise
        except BaseException as exc:  # a Rust panic outside a file's guard is one too
            if os.environ.get("UNIONKIT_DEBUG"):
                raise
            text = str(exc).splitlines()[0][:200] if str(exc) else ""
            _note(say("say.internal_error", lang, kind=type(exc).__name__, text=text))
            sys.exit(EXIT_INTERNAL)
        sys.exit(code)
    return wrapper


@click.group(name="unionkit", cls=LocalizedGroup, context_settings={"help_option_names": ["-h", "--help"]},
             examples="""  unionkit sample --out sample_data
  unionkit validate sample_data/inbox --config sample_data/federation.toml
  unionkit consolidate sample_data/inbox --config sample_data/federation.toml --out out/2026-10.xlsx
  unionkit --lang en validate sample_data/inbox""")
@click.version_option(__version__, prog_name="unionkit")
@lang_option
def cli(lang: str) -> None:
    """unionkit — 工会报表校验与汇总: check, consolidate and audit a union federation's workbooks."""


@command("""  unionkit templates --out templates_xlsx""")
@click.option("--out", "out_dir", default="templates_xlsx", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@config_option
@handles_errors
def templates(out_dir: Path, config_path: Path | None, lang: str) -> int:
    """Write the blank federation templates (会员名册, 会费收缴, 经费收支账, 考核评分)."""
    from .spec import all_specs
    from .templates import write_blank_templates

    for path in write_blank_templates(_config(config_path, lang), out_dir, all_specs()):
        click.echo(str(path))
    return EXIT_OK


@command("""  unionkit init 本会 --name 某某集团有限公司工会 --branches 分会名录.xlsx
  unionkit init 本会 --name 某某集团有限公司工会 --branches 分会名录.xlsx --yes""")
@click.argument("folder", required=False, default=".", type=click.Path(file_okay=False,
                                                                       path_type=Path))
@click.option("--name", "fed_name")
@click.option("--branches", "branch_list", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True)
@handles_errors
def init(folder: Path, fed_name: str | None, branch_list: Path | None, yes: bool,
         lang: str) -> int:
    """A new federation: its configuration, inbox and templates (:mod:`toolkit.init`)."""
    from .errors import UsageError
    from .init import init_federation, read_branches

    if not fed_name:
        if yes:
            raise UsageError("init_needs_name")
        fed_name = click.prompt(say("say.ask_name", lang))
    if branch_list is None and not yes:
        answer = click.prompt(say("say.ask_branches", lang), default="", show_default=False)
        branch_list = Path(answer.strip().strip('"')) if answer.strip() else None
    branches = read_branches(branch_list) if branch_list is not None else []
    setup = init_federation(folder, fed_name.strip(), branches)
    click.echo(say("say.init_done", lang, config=setup.config, branches=setup.branches,
                   inbox=setup.inbox, templates=len(setup.templates)))
    _note(say("next.init", lang, config=setup.config, inbox=setup.inbox))
    return EXIT_OK


@command("""  unionkit sample --out sample_data""")
@click.option("--out", "out_dir", default="sample_data", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@handles_errors
def sample(out_dir: Path, lang: str) -> int:
    """Write a realistic sample federation inbox with planted mistakes (see its README.md)."""
    from .sample import write_sample

    result = write_sample(out_dir)
    click.echo(say("say.sample_written", lang, files=len(result.files), inbox=out_dir / "inbox",
                   planted=len(result.planted), readme=out_dir / "README.md"))
    return EXIT_OK


@command("""  unionkit validate sample_data/inbox --config sample_data/federation.toml
  unionkit validate inbox/ --format html --output 校验报告.html
  unionkit validate inbox/ --annotate 批注副本/ --config federation.toml
  unionkit validate FH01_会员名册.xlsx --lang en""")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False, path_type=Path))
@config_option
@parallel_options
@register_options
@output_option
@full_option
@handles_errors
def validate(paths: tuple[Path, ...], fmt: str, annotate_dir: Path | None, lang: str,
             config_path: Path | None, workers: int | None, dask_address: str | None,
             register_path: Path | None, no_register: bool, output: Path | None,
             full: bool) -> int:
    """Check branch files against their templates; every problem with its file and cell.

    PATHS are files or folders (searched recursively). Exit 0 when no errors (warnings
    allowed), 1 when any file has errors, 2 when the command cannot run.
    """
    from .errors import UsageError
    from .findings import SPREADSHEET
    from .parallel import executor_for
    from .render.annotate import annotate_report
    from .render.html import render_html
    from .render.json import render_json
    from .render.text import render_text
    from .validate import collect_files, findings_only, validate_paths
    from .validate.cross import supersede

    config = _privacy(_config(config_path, lang), full)
    files = collect_files(paths)  # walked once; validate_paths gets the file list
    if not any(f.name.lower().endswith(SPREADSHEET) for f in files):
        raise UsageError("no_spreadsheet", paths="、".join(map(str, paths)),
                         kinds=" ".join(SPREADSHEET))
    check_outputs(paths, {"--annotate": annotate_dir, "--output": output})
    base = paths[0] if len(paths) == 1 and paths[0].is_dir() else None
    with _progress(say("say.progress_validate", lang)) as tick, \
            executor_for(workers, dask_address) as executor:
        report = validate_paths(files, config, progress=tick, base=base, executor=executor,
                                extract=findings_only)
    supersede(report.files)  # a file a later one replaces counts as consolidation counts it
    register = _register(register_path, config, no_register)
    if register is not None:
        with register:
            register.record_validation(report.files, str(paths[0].resolve()),
                                       {"config": config_fingerprint(config_path)})
            register.prune(config.privacy.keep_months)
    render = {"text": render_text, "json": render_json,
              "html": partial(render_html, federation=config.name)}[fmt]
    _report(render(report, lang), output, lang, utf8=fmt != "text")
    shown = " ".join(map(str, paths))
    if annotate_dir is not None:
        written = annotate_report([(f.source, f) for f in report.files], annotate_dir, lang)
        _note(say("say.annotated", lang, count=len(written), folder=annotate_dir))
        _note(say("next.validate_annotated", lang, folder=annotate_dir))
    elif report.errors:
        _note(say("next.validate_errors", lang, paths=shown))
    else:
        _note(say("next.validate_clean" if base is not None else "next.validate_clean_file",
                  lang, paths=shown))
    return EXIT_FINDINGS if report.errors else EXIT_OK


@command("""  unionkit consolidate sample_data/inbox --config sample_data/federation.toml --out out/10.xlsx
  unionkit consolidate inbox/ --out out/2026-10.xlsx --period 2026年10月 --json out/2026-10.json
  unionkit consolidate inbox/ --out out/final.xlsx --strict""")
@click.argument("inbox", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--period")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True)
@config_option
@parallel_options
@register_options
@full_option
@handles_errors
def consolidate(inbox: Path, out: Path, period: str | None, json_out: Path | None, strict: bool,
                config_path: Path | None, workers: int | None, dask_address: str | None,
                register_path: Path | None, no_register: bool, full: bool, lang: str) -> int:
    """Validate the inbox and write one consolidated workbook for the period.

    The workbook has 汇总 (one row per branch, totals, charts), one sheet per template with
    per-branch subtotals, 问题清单, 未报送 and 来源清单 (SHA-256 of every input). Exit 0 when no
    errors, 1 when errors exist (with --strict nothing is written then), 2 when it cannot run.
    """
    from .consolidate.close import close_period, full_copy

    config = _privacy(_config(config_path, lang), full)
    if full:  # the treasurer's unmasked copy, named so
        out = full_copy(out)
        _note(say("say.full_copy", lang, out=out))
    with ExitStack() as stack:
        register = _register(register_path, config, no_register)
        if register is not None:
            stack.enter_context(register)
        closed = close_period(
            inbox, out, config, fingerprint=config_fingerprint(config_path), period=period,
            register=register, workers=workers, dask=dask_address, strict=strict,
            json_out=json_out,
            progress=stack.enter_context(_progress(say("say.progress_consolidate", lang))))
    result = closed.result
    if period is None:
        _note(say("say.period_chosen", lang, period=result.period))
    if closed.digest is None:
        _note(say("say.strict_refused", lang, errors=result.used_errors()))
        return EXIT_FINDINGS
    apart = result.unattributed()[0]
    click.echo(say("say.consolidated", lang, out=closed.out, files=len(result.chosen),
                   missing=len(result.missing), superseded=len(result.superseded),
                   errors=closed.errors,
                   apart=say("say.consolidated_apart", lang, count=apart) if apart else ""))
    chase = {b.code for b, _ in result.missing}
    _note(say("next.consolidate", lang, out=closed.out, missing=say(
        "next.consolidate_missing", lang, count=len(chase), reports=len(result.missing))
        if chase else ""))
    return EXIT_FINDINGS if closed.errors else EXIT_OK


@command("""  unionkit verify out/2026-10.xlsx
  unionkit verify out/2026-10.xlsx --sources sample_data/inbox --config sample_data/federation.toml
  unionkit verify out/2026-10.xlsx --format json --output 核验.json""")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--sources", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@config_option
@output_option
@handles_errors
def verify(workbook: Path, sources: Path | None, fmt: str, lang: str,
           config_path: Path | None, output: Path | None) -> int:
    """Prove a consolidated workbook: totals, formulas, edits after generation, sources.

    Exit 0 when everything holds (audit flags are warnings), 1 on any discrepancy, 2 when the
    file cannot be verified (missing, unreadable, or not made by unionkit).
    """
    import json

    from .render.text import render_verification
    from .verify import verify_workbook

    check_outputs([workbook, *([sources] if sources else [])], {"--output": output})
    result = verify_workbook(workbook, _config(config_path, lang), sources,
                             config_fingerprint(config_path))
    if fmt == "json":
        _report(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2) + "\n", output,
                lang, utf8=True)
    else:
        _report(render_verification(result, lang), output, lang)
    _note(say("next.verify_failed" if result.errors else "next.verify_ok", lang))
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _existing_register(path: Path | None, config: FederationConfig) -> Any:
    from .register import Register, default_path

    path = path or default_path(config)
    if not path.exists():
        raise ToolkitError("no_register", path=path)
    return Register(path)


@command("""  unionkit status --config sample_data/federation.toml
  unionkit status --period 2026-10 --register 汇总/unionkit.db""")
@click.option("--period")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@config_option
@register_option
@output_option
@handles_errors
def status(period: str | None, fmt: str, lang: str, config_path: Path | None,
           register_path: Path | None, output: Path | None) -> int:
    """Who reported: the submission matrix, branches × templates, for a period.

    Each cell is ok, warnings, errors, missing or duplicate (two files with one 填报日期), with
    how many earlier files the current one superseded, from every file validate or consolidate
    has seen.
    """
    import json
    from datetime import date

    from .register import period_matrix
    from .render.register import render_status

    config = _config(config_path, lang)
    with _existing_register(register_path, config) as register:
        periods = register.periods()
        if not periods:
            raise ToolkitError("register_empty")
        table = period_matrix(register, config, period or periods[-1])
    if fmt == "json":
        _report(json.dumps({"period": table["period"], "branches": [
            {"code": b["code"], **b["slots"]} for b in table["branches"]]},
            ensure_ascii=False, indent=2) + "\n", output, lang, utf8=True)
    else:
        _report(render_status(table, date.today(), lang), output, lang)
    missing = sum(slot["status"] == "missing" for b in table["branches"]
                  for slot in b["slots"].values())
    if missing:
        _note(say("next.status_missing", lang, count=missing))
    return EXIT_OK


@command("""  unionkit serve --config sample_data/federation.toml --demo
  unionkit serve --config federation.toml --inbox inbox
  unionkit serve --config federation.toml --inbox inbox --host 0.0.0.0 --port 8080""")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--max-upload", "max_upload", type=int, default=20, show_default=True,
              metavar="MB")
@click.option("--workers", type=int, metavar="N")
@click.option("--secure-cookies", "secure_cookies", is_flag=True)
@config_option
@register_option
@handles_errors
def serve(inbox: Path | None, demo: bool, host: str, port: int, max_upload: int,
          workers: int | None, secure_cookies: bool, lang: str, config_path: Path | None,
          register_path: Path | None) -> int:
    """Start the report desk: clerks upload and see their findings at once."""
    import uvicorn

    from .parallel import default_workers
    from .register import default_path
    from .web import create_app
    from .web.demo import demo_inbox, prepare_demo

    if workers is not None and workers < 1:
        raise ToolkitError("workers_positive")
    if max_upload < 1:
        raise ToolkitError("max_upload_positive")
    config = _config(config_path, lang)
    register_path = register_path or default_path(config)
    url = f"http://{host}:{port}/"
    if demo:
        inbox = inbox or demo_inbox(register_path)
        for role, branch, code in prepare_demo(config, inbox, register_path):
            click.echo(say("say.demo_code", lang, role=say(f"web.role_{role}", lang),
                           branch=f" {branch}" if branch else "", code=code,
                           link=f"{url}login?code={code}"))
    elif inbox is None:
        raise ToolkitError("serve_inbox")
    if not inbox.is_dir():
        raise ToolkitError("inbox_missing", path=inbox)
    _check_port(host, port)
    app = create_app(config_path, inbox, register_path, max_upload * 1024 * 1024,
                     workers or default_workers(), https_only=secure_cookies)
    if host not in ("127.0.0.1", "localhost", "::1"):
        _note(say("say.serve_exposed", lang, host=host))
    _note(say("say.serve_started", lang, url=url))
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return EXIT_OK


def _check_port(host: str, port: int) -> None:
    """Say now, in the user's language, when the desk could not listen at host:port (a port
    another program holds, a host this machine is not): Uvicorn would log it and exit."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise ToolkitError("serve_cannot_listen", host=host, port=port, detail=exc) from exc


@cli.group(cls=LocalizedGroup, examples="""  unionkit access add --role clerk --branch FH01 --label 张三
  unionkit access add --role treasurer
  unionkit access list
  unionkit access revoke 3""")
@lang_option
def access(lang: str) -> None:
    """Manage the desk's sign-in codes."""


@command("""  unionkit access add --role clerk --branch FH01 --label 张三""", group=access)
@click.option("--role", type=click.Choice(["clerk", "treasurer", "auditor"]), required=True)
@click.option("--branch", "access_branch")
@click.option("--label", default="")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True)
@config_option
@register_option
@handles_errors
def add(role: str, access_branch: str | None, label: str, url: str, lang: str,
        config_path: Path | None, register_path: Path | None) -> int:
    """Give a sign-in code."""
    from urllib.parse import quote

    config = _config(config_path, lang)
    with _register(register_path, config) as register:
        _, code = register.grant(role, access_branch, label)
    click.echo(say("say.access_added", lang, code=code,
                   link=f"{url.rstrip('/')}/login?code={quote(code)}"))
    return EXIT_OK


@command("""  unionkit access list""", "list", group=access)
@config_option
@register_option
@handles_errors
def list_(lang: str, config_path: Path | None, register_path: Path | None) -> int:
    """List the sign-in codes given."""
    from .render.text import terminal_safe

    config = _config(config_path, lang)
    with _existing_register(register_path, config) as register:
        grants = register.grants()
    if not grants:
        _note(say("say.access_none", lang))
    for g in grants:
        click.echo(terminal_safe(" ".join(str(g[k] or "") for k in (
            "id", "role", "branch", "label", "created", "revoked")).strip()))
    return EXIT_OK


@command("""  unionkit access revoke 3""", group=access)
@click.argument("access_id", type=int)
@config_option
@register_option
@handles_errors
def revoke(access_id: int, lang: str, config_path: Path | None,
           register_path: Path | None) -> int:
    """Revoke a sign-in code."""
    config = _config(config_path, lang)
    with _existing_register(register_path, config) as register:
        if not register.revoke(access_id):
            raise ToolkitError("access_unknown", id=access_id)
    _note(say("say.access_revoked", lang, id=access_id))
    return EXIT_OK


@command("""  unionkit export sample_data/inbox --out 分析 --config sample_data/federation.toml
  unionkit export inbox/ --format csv --out 分析 --period 2026-10""")
@click.argument("inbox", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet",
              show_default=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--period")
@config_option
@full_option
@handles_errors
def export(inbox: Path, fmt: str, out_dir: Path, period: str | None, lang: str,
           config_path: Path | None, full: bool) -> int:
    """Write the period's tables for analysts: one Parquet or CSV file per template, 汇总 and
    问题清单 (detail rows only, money exact), with a manifest of SHA-256 digests."""
    from .frames import export as write
    from .frames import frames, needs_pandas

    needs_pandas()  # before the consolidation, not after it
    if not inbox.is_dir():
        raise ToolkitError("inbox_missing", path=inbox)
    check_outputs([inbox], {"--out": out_dir})
    config = _privacy(_config(config_path, lang), full)
    from .consolidate import consolidate as run

    result = run(inbox, config, period, keep_records=True)
    written = write(frames(result), out_dir, fmt,
                    [(f.path, f.sha256) for f in result.report.files])
    click.echo(say("say.exported", lang, count=len(written) - 1, folder=out_dir,
                   period=result.period))
    return EXIT_OK


@command("""  unionkit pdf out/2026-10.xlsx
  unionkit pdf out/2026-10.xlsx --out 打印/2026-10.pdf""")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path))
@handles_errors
def pdf(workbook: Path, out: Path | None, lang: str) -> int:
    """Write 汇总, 收入支出表 and 问题清单 of a generated workbook as one PDF, to print and stamp."""
    from .render.pdf import PRINTED, workbook_pdf

    if not workbook.is_file():
        raise ToolkitError("workbook_not_found", path=workbook)
    out = out or workbook.with_suffix(".pdf")
    check_outputs([workbook], {"--out": out})
    workbook_pdf(workbook, out)
    click.echo(say("say.pdf_written", lang, out=out, sheets="、".join(PRINTED)))
    return EXIT_OK


@command("""  unionkit rollup 甲区/2026-10.xlsx 乙区/2026-10.xlsx --out 市总/2026-10.xlsx
  unionkit rollup 各区汇总/ --out 市总/2026-10.xlsx --config 市总工会.toml --workers 4""")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--period")
@click.option("--verify/--no-verify", "verify_sources", default=True)
@config_option
@parallel_options
@handles_errors
def rollup(sources: tuple[Path, ...], out: Path, period: str | None, verify_sources: bool,
           lang: str, config_path: Path | None, workers: int | None,
           dask_address: str | None) -> int:
    """Roll the sub-federations' consolidated workbooks up into one level up: their figures
    summed, their branches kept, each source traced by its hash, and a member registered in
    two of them found. A folder stands for the workbooks in it. Exit 1 on errors."""
    from .parallel import executor_for
    from .render.text import render_rollup
    from .rollup import rollup as roll
    from .rollup import write_rollup

    paths = _rollup_sources(sources, out)
    check_outputs(list(sources), {"--out": out})
    config = _config(config_path, lang)
    with _progress(say("say.progress_validate", lang)) as tick, \
            executor_for(workers, dask_address) as executor:
        result = roll(paths, period, executor, verify=verify_sources, progress=tick)
    if not result.used:
        raise ToolkitError("rollup_nothing", paths="、".join(map(str, sources)))
    write_rollup(result, config.name, out)
    click.echo(render_rollup(result, out, lang), nl=False)
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _rollup_sources(sources: tuple[Path, ...], out: Path) -> list[Path]:
    """The workbooks to roll up: each file given, and the .xlsx files in each folder given
    (not in its sub-folders; not the roll-up's own output, nor Excel's lock files)."""
    found = []
    for source in sources:
        if source.is_dir():
            found += sorted(p for p in source.glob("*.xlsx")
                            if not p.name.startswith(("~$", ".")) and p.resolve() != out.resolve())
        elif source.exists():
            found.append(source)
        else:
            raise ToolkitError("source_missing", path=source)
    return found


@command("""  unionkit return sample_data/inbox --out 退改 --config sample_data/federation.toml
  unionkit return inbox/ --out 退改/2026-10 --period 2026-10""", "return")
@click.argument("inbox", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--period")
@click.option("--pdf/--no-pdf", "pdf", default=True)
@config_option
@parallel_options
@handles_errors
def return_(inbox: Path, out_dir: Path, period: str | None, pdf: bool, lang: str,
            config_path: Path | None, workers: int | None, dask_address: str | None) -> int:
    """Hand the period's work back: a folder per branch with its annotated copies and a
    退改通知 (every finding with its cell and fix, what it has not sent, the resubmission
    rule), and 催报清单.xlsx for the treasurer. Exit 1 when any file has errors."""
    from .consolidate import consolidate as run
    from .parallel import executor_for
    from .render.returns import CHASE, write_returns

    if not inbox.is_dir():
        raise ToolkitError("inbox_missing", path=inbox)
    check_outputs([inbox], {"--out": out_dir})
    config = _config(config_path, lang)
    with _progress(say("say.progress_validate", lang)) as tick, \
            executor_for(workers, dask_address) as executor:
        result = run(inbox, config, period, executor, progress=tick)
    returns = write_returns(result, config, out_dir, lang, pdf=pdf)
    owing = [r for r in returns if r.files or r.missing]
    click.echo(say("say.returned", lang, folders=len(returns), owing=len(owing),
                   out=out_dir, chase=out_dir / CHASE[lang], period=result.period))
    if pdf:
        printed = sum(r.pdf for r in returns)
        click.echo(say("say.returned_pdf" if printed else "say.returned_no_pdf", lang,
                       count=printed))
    errors, _ = result.counts()
    return EXIT_FINDINGS if errors else EXIT_OK


@cli.group(cls=LocalizedGroup, examples="""  unionkit privacy rotate --config federation.toml""")
@lang_option
def privacy(lang: str) -> None:
    """The federation's key for the keyed hashes (docs/privacy.md)."""


@command("""  unionkit privacy rotate --config federation.toml --yes""", group=privacy)
@click.option("--yes", is_flag=True)
@config_option
@register_option
@handles_errors
def rotate(yes: bool, lang: str, config_path: Path | None, register_path: Path | None) -> int:
    """Replace the key (the members kept under the old one are forgotten)."""
    from .privacy import rotate_key

    config = _config(config_path, lang)
    with _register(register_path, config) as register:
        if not yes and not click.confirm(say("say.rotate_confirm", lang), err=True):
            raise ToolkitError("rotate_declined")
        forgotten = register.forget_people()
        rotate_key(register.path)
    click.echo(say("say.rotated", lang, count=forgotten))
    return EXIT_OK


@cli.group("register", cls=LocalizedGroup,
           examples="""  unionkit register prune --config federation.toml""")
@lang_option
def register_group(lang: str) -> None:
    """Look after the submission register."""


@command("""  unionkit register prune --config federation.toml
  unionkit register prune --keep-months 36 --config federation.toml""", group=register_group)
@click.option("--keep-months", "keep_months", type=int, metavar="N")
@config_option
@register_option
@handles_errors
def prune(keep_months: int | None, lang: str, config_path: Path | None,
          register_path: Path | None) -> int:
    """Purge records older than [privacy] keep_months (default 24) and vacuum the file."""
    config = _config(config_path, lang)
    months = config.privacy.keep_months if keep_months is None else keep_months
    if months < 1:
        raise ToolkitError("privacy_keep_months", value=months)
    with _existing_register(register_path, config) as register:
        gone = register.prune(months)
        register.vacuum()
    click.echo(say("say.pruned", lang, count=gone, months=months))
    return EXIT_OK


@command("""  unionkit history --config sample_data/federation.toml
  unionkit history --branch FH04 --config sample_data/federation.toml""")
@click.option("--branch")
@config_option
@register_option
@output_option
@handles_errors
def history(branch: str | None, lang: str, config_path: Path | None,
            register_path: Path | None, output: Path | None) -> int:
    """Trends across consolidated periods, members with months of unpaid dues, and members
    who left a roster without an outflow row."""
    from .register import disappeared, unpaid_streaks
    from .render.register import render_history

    config = _config(config_path, lang)
    with _existing_register(register_path, config) as register:
        figures = register.figures(branch)
        people = register.members(branch)
    months = config.unpaid_months_withdrawal
    streaks, gone = unpaid_streaks(people, months), disappeared(people)
    _report(render_history(figures, streaks, gone, months, branch, lang), output, lang)
    return EXIT_OK


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for long runs (20 files or more) at a terminal; else silent."""
    bars: list[Any] = []

    def tick(done: int, total: int) -> None:
        if not bars and total >= 20 and sys.stderr.isatty():
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
        if bars:
            bars[0].update(1)
    try:
        yield tick
    finally:
        if bars:
            bars[0].render_finish()


_MAIN_PID = os.getpid()
#: Said by the SIGTERM handler, which may not import or format: made once, here.
_TERMINATED = f"unionkit: {say('say.terminated')}\n".encode()


def _children() -> list[int]:
    """This process's children, from /proc (Linux; none elsewhere). Bytes and ``os`` calls
    only: this runs in a signal handler."""
    me, found = str(os.getpid()).encode(), []
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return found
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and fields[1] == me:
            found.append(int(entry))
    return found


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM: stop the workers, remove every temporary file and folder of the run, exit.

    An exception raised from a signal handler can land inside a lock of the process pool and
    hang the shutdown, so nothing is unwound here: the run's temporary paths are known
    (:data:`toolkit.atomic.LIVE`) and removed directly. Nothing is imported here either — the
    signal may arrive while the main thread holds the import lock. A worker that gets the
    signal just ends.
    """
    if os.getpid() != _MAIN_PID:
        os._exit(128 + signum)
    for pid in _children():  # the pool's workers, even one forked a moment ago
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    remove_live()
    os.write(2, _TERMINATED)
    os._exit(128 + signum)


def _hint(exc: click.UsageError) -> str:
    param = getattr(exc, "param", None)
    if getattr(exc, "param_hint", None):
        hint = exc.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    if isinstance(param, click.Option):
        return param.opts[0]
    return param.human_readable_name if param is not None else ""


def usage_text(exc: click.UsageError, lang: str) -> str:
    """What click could not take from the command line, in the user's language: from the
    error's kind and its parameter (click's public attributes), never from its English."""
    if isinstance(exc, Said):
        return exc.message
    param, name = getattr(exc, "param", None), _hint(exc)
    if isinstance(exc, click.MissingParameter):
        return say("usage.missing_argument" if isinstance(param, click.Argument)
                   else "usage.missing_option", lang, name=name)
    if isinstance(exc, click.NoSuchOption):
        close = " ".join(sorted(exc.possibilities or ()))
        return say("usage.no_such_option_close" if close else "usage.no_such_option", lang,
                   name=exc.option_name, close=close)
    if isinstance(exc, click.BadOptionUsage):
        option = next((p for p in exc.ctx.command.params if exc.option_name in p.opts), None) \
            if exc.ctx else None
        flag = isinstance(option, click.Option) and option.is_flag
        return say("usage.takes_no_value" if flag else "usage.needs_value", lang,
                   name=exc.option_name)
    if isinstance(exc, click.BadParameter) and param is not None:
        kind = param.type
        if isinstance(kind, click.Choice):
            return say("usage.choice", lang, name=name,
                       choices=("、" if lang == "zh" else ", ").join(map(str, kind.choices)))
        if isinstance(kind, click.types.IntParamType):
            return say("usage.integer", lang, name=name)
        if isinstance(kind, click.Path) and not (kind.dir_okay and kind.file_okay):
            return say("usage.file_not_folder" if kind.file_okay else "usage.folder_not_file",
                       lang, name=name)
        return say("usage.bad_value", lang, name=name, detail=exc.message)
    return say("usage.other", lang, detail=exc.message)


def main() -> None:
    """Console-script entry point."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    signal.signal(signal.SIGTERM, _terminated)
    for stream in (sys.stdout, sys.stderr):  # a GBK console cannot show ✗ or −: never raise
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="unionkit-nearest")
    try:
        code = cli.main(prog_name="unionkit", standalone_mode=False)
    except (KeyboardInterrupt, click.Abort):
        _note(say("say.interrupted"))
        sys.exit(130)
    except click.UsageError as exc:
        if isinstance(exc, click.exceptions.NoArgsIsHelpError):
            exc.show()  # the help itself
        else:
            lang = _lang_of(exc.ctx)
            command = exc.ctx.command_path if exc.ctx else "unionkit"
            usage = f"{exc.ctx.get_usage()}\n" if exc.ctx else ""
            click.echo(f"{usage}{say('usage.try', lang, command=command)}\n\n"
                       f"{say('usage.error', lang, message=usage_text(exc, lang))}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except BaseException as exc:  # outside a command's body (its options, its help): one line
        if os.environ.get("UNIONKIT_DEBUG"):
            raise
        _note(say("say.internal_error", kind=type(exc).__name__, text=str(exc)[:200]))
        sys.exit(EXIT_INTERNAL)
    sys.exit(code or 0)
