"""The web desk: clerks upload and see their marked file at once; the treasurer sees who has
reported. A thin ASGI layer (Starlette on Uvicorn) over the same library the CLI calls: every
page renders what a library function returns, and every page is also JSON (``?format=json``).

Work that reads a workbook (validation, the annotated copy) runs in worker processes, never in
the event loop. Uploads are checked in a staging folder beside the register and only then
written, atomically and under a unique name, into the federation's inbox, where ``unionkit
consolidate`` reads them; the register records who sent what and when.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shutil
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..config import FederationConfig, load_config
from ..consolidate import previous_month
from ..messages import LANGS, say, words
from ..register import Register, chase_list, period_matrix
from ..render.html import script_hash
from ..render.text import STATUS, template_titles
from ..spec import template_ids
from . import work

#: What a clerk may upload at once, and how large a request may be (refused as it streams in).
MAX_FILES, MAX_UPLOAD = 10, 20 * 1024 * 1024
#: Sign-in attempts a client may get wrong in a window before it must wait.
MAX_FAILURES, FAILURE_WINDOW = 5, 300.0
#: How long a session lasts without signing in again.
SESSION_SECONDS = 8 * 3600

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: A close's id: when it started and a random part (and so its folder's name).
_JOB = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")
#: How often a close's page refreshes itself while the close runs, and the matrix its slots.
REFRESH_SECONDS, LIVE_SECONDS = 2, 5

_PAGES = jinja2.Environment(loader=jinja2.PackageLoader("toolkit.web", "templates"),
                            autoescape=True, trim_blocks=True, lstrip_blocks=True)


class Desk:
    """What the desk's pages share: the configuration, the inbox, the register's path, the
    worker pool and the sign-in failures per client."""

    def __init__(self, config_path: Path | None, inbox: Path, register_path: Path,
                 max_upload: int = MAX_UPLOAD, workers: int = 1) -> None:
        self.config_path, self.inbox, self.register_path = config_path, inbox, register_path
        self.config: FederationConfig = load_config(config_path)
        self.max_upload, self.workers = max_upload, workers
        self.staging = register_path.parent / ".unionkit-uploads"
        #: The closes run from the desk, one folder each (its state, workbook and report).
        self.closes = register_path.parent / "desk-closes"
        self.pool: ProcessPoolExecutor | None = None
        #: The pool a close runs in: one at a time, apart from the uploads' pool so a close
        #: never makes a clerk wait for a worker.
        self.closer: ProcessPoolExecutor | None = None
        self.running: dict[str, asyncio.Task[None]] = {}
        self.reader: Register | None = None
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def register(self) -> contextlib.AbstractContextManager[Register]:
        """The desk's one connection to the register, for the pages' reads (opened with the
        app: a register is checked when it is opened, not on every request). The workers that
        record uploads open their own."""
        assert self.reader is not None
        return contextlib.nullcontext(self.reader)

    def renew_pool(self) -> None:
        """A new pool after a worker died (the old one is broken for every later task)."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = ProcessPoolExecutor(self.workers)

    async def run(self, function: Any, *args: Any) -> Any:
        """A library call in a worker process (the event loop only waits for it)."""
        assert self.pool is not None
        return await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)

    def close_folder(self, job: str) -> Path | None:
        """The folder of close ``job`` (None for a name no close could have)."""
        return self.closes / job if _JOB.fullmatch(job) else None

    def closed(self) -> list[dict[str, Any]]:
        """Every close the desk ran, the latest first."""
        if not self.closes.is_dir():
            return []
        found = (work.job_state(folder) for folder in sorted(self.closes.iterdir(), reverse=True)
                 if _JOB.fullmatch(folder.name))
        return [state for state in found if state is not None]

    def period(self) -> str:
        """The period the desk shows: the latest the register knows, else last month."""
        with self.register() as register:
            periods = register.periods()
        if periods:
            return periods[-1]
        return previous_month(f"{date.today():%Y-%m}")

    def blocked(self, client: str) -> bool:
        recent = self.failures[client]
        while recent and recent[0] < time.monotonic() - FAILURE_WINDOW:
            recent.popleft()
        return len(recent) >= MAX_FAILURES


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang") or request.session.get("lang")
    return asked if asked in LANGS else "zh"


def _wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def _page(request: Request, name: str, data: dict[str, Any], status: int = 200) -> Response:
    """A page as HTML, or as JSON with ``?format=json``: the same data either way."""
    if _wants_json(request):
        return JSONResponse(data, status_code=status)
    lang = _lang(request)
    request.session["lang"] = lang  # a switch of language holds for the next pages
    html = _PAGES.get_template(name).render(
        data=data, lang=lang, w=words("web", lang), status_words=STATUS[lang],
        titles=template_titles(), csrf=request.session.get("csrf", ""),
        who=request.session.get("who"), path=request.url.path)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
                             "X-Content-Type-Options": "nosniff",
                             "Referrer-Policy": "same-origin"})


def _desk(request: Request) -> Desk:
    return request.app.state.desk


def _who(request: Request) -> dict[str, Any] | None:
    """The signed-in access, still valid (a revoked code or an expired session is not); for
    a script, the access its bearer code gives (reads only: forms need a session's token)."""
    who = request.session.get("who")
    if not who or request.session.get("expires", 0) < time.time():
        return _bearer(request)
    with _desk(request).register() as register:
        return register.access(who["id"])


def _csrf_ok(request: Request, form: Any) -> bool:
    token = request.session.get("csrf")
    return bool(token) and secrets.compare_digest(str(form.get("csrf", "")), token)


def _refuse(request: Request, key: str, status: int, **params: Any) -> Response:
    lang = _lang(request)
    return _page(request, "message.html.j2", {"error": key, "message": say(key, lang, **params)},
                 status)


def _fresh_csrf(request: Request) -> None:
    request.session.setdefault("csrf", secrets.token_urlsafe(24))


async def login(request: Request) -> Response:
    _fresh_csrf(request)
    if request.query_params.get("lang") in LANGS:
        request.session["lang"] = request.query_params["lang"]
    if request.method == "GET":  # a sign-in link fills the code in; signing in is a POST
        return _page(request, "login.html.j2", {
            "page": "login", "code": request.query_params.get("code", "")[:64]})
    desk, client = _desk(request), request.client.host if request.client else "-"
    form = await request.form()
    if not _csrf_ok(request, form):
        return _refuse(request, "web.csrf", 403)
    if desk.blocked(client):
        return _refuse(request, "web.too_many_attempts", 429,
                       minutes=int(FAILURE_WINDOW // 60))
    with desk.register() as register:
        access = register.signed_in(str(form.get("code", "")))
    if access is None:
        desk.failures[client].append(time.monotonic())
        return _page(request, "login.html.j2", {"page": "login", "error": "web.bad_code"}, 401)
    lang = request.session.get("lang", "zh")
    request.session.clear()  # a new session on sign-in: nothing carried over from before
    request.session.update(who=access, expires=time.time() + SESSION_SECONDS, lang=lang,
                           csrf=secrets.token_urlsafe(24))
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if _csrf_ok(request, form):
        request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def home(request: Request) -> Response:
    who = _who(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    desk = _desk(request)
    period = request.query_params.get("period", "")[:16] or desk.period()
    with desk.register() as register:
        matrix = period_matrix(register, desk.config, period)
        uploads = register.uploads(who["branch"]) if who["role"] == "clerk" else []
        chase = chase_list(register, desk.config, matrix) if who["role"] != "clerk" else []
        codes = register.grants() if who["role"] == "treasurer" else []
    closes = [_shown_close(c, _lang(request)) for c in desk.closed()[:10]] \
        if who["role"] != "clerk" else []
    branches = [b for b in matrix["branches"]
                if who["role"] != "clerk" or b["code"] == who["branch"]]
    return _page(request, "home.html.j2", {
        "page": "home", "role": who["role"], "branch": who["branch"], "period": period,
        "templates": list(template_ids()), "branches": branches,
        "uploads": [_shown_upload(u) for u in uploads[:50]], "chase": chase, "codes": codes,
        "closes": closes, "closing": next(iter(desk.running), None), "refresh": LIVE_SECONDS})


def _shown_upload(upload: dict[str, Any]) -> dict[str, Any]:
    return {k: upload[k] for k in ("id", "original", "uploaded", "status", "errors",
                                   "warnings", "refused")}


async def upload(request: Request) -> Response:
    who = _who(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who["role"] != "clerk":
        return _refuse(request, "web.clerks_only", 403)
    desk = _desk(request)
    async with request.form(max_files=MAX_FILES, max_fields=4) as form:
        if not _csrf_ok(request, form):
            return _refuse(request, "web.csrf", 403)
        files = [f for f in form.getlist("files") if getattr(f, "filename", None)]
        if not files:
            return _refuse(request, "web.no_file", 400)
        done = await _take(desk, who, files)
    if _wants_json(request):
        return JSONResponse({"uploads": [_without_contract(u) for u in done]})
    if len(done) == 1:
        return RedirectResponse(f"/result/{done[0]['id']}", status_code=303)
    return RedirectResponse("/", status_code=303)


def _without_contract(upload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in upload.items() if k != "contract"}


async def _take(desk: Desk, who: dict[str, Any], files: list[Any]) -> list[dict[str, Any]]:
    """Uploads staged, then each checked and stored (or refused) in a worker process. A file
    that kills its worker (a crash in native code) is refused as unreadable, and the desk
    goes on with a new pool: one hostile file never stops the other clerks' uploads."""
    staged = [await _stage(desk, f) for f in files]
    taken = []
    for original, path in staged:
        try:
            taken.append(await desk.run(work.take_upload, str(path), original, who,
                                        str(desk.config_path) if desk.config_path else None,
                                        str(desk.inbox), str(desk.register_path)))
        except BrokenProcessPool:
            desk.renew_pool()
            path.unlink(missing_ok=True)
            taken.append(work.refused_outright(original, who, str(desk.register_path)))
    return taken


async def _stage(desk: Desk, file: Any) -> tuple[str, Path]:
    """An upload's bytes in the staging folder (never the inbox: nothing there until checked)."""
    desk.staging.mkdir(parents=True, exist_ok=True)
    original = work.safe_name(file.filename)
    path = desk.staging / f"{secrets.token_hex(8)}{Path(original).suffix.lower()[:8]}"
    with path.open("wb") as out:
        while chunk := await file.read(1 << 20):
            out.write(chunk)
    return original, path


async def result(request: Request) -> Response:
    who = _who(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    shown = _visible_upload(request, who)
    if shown is None:
        return _refuse(request, "web.not_found", 404)
    lang, said = _lang(request), shown.pop("shown")
    desk = _desk(request)
    preview = await desk.run(work.preview, str(desk.inbox / shown["stored"]), shown["original"],
                             str(desk.config_path) if desk.config_path else None,
                             who["role"] == "clerk") if shown["stored"] else None
    by_sheet: dict[str, list[dict[str, Any]]] = {}
    for f in said["findings"]:
        by_sheet.setdefault(f["sheet"] or "", []).append(
            {"cell": f["cell"], "severity": f["severity"], "code": f["code"],
             **{part: f[f"{part}_{lang}"] for part in ("title", "message", "fix")}})
    return _page(request, "result.html.j2", {
        "page": "result", **shown, "by_sheet": list(by_sheet.items()),
        "refused_said": say(shown["refused"], lang) if shown["refused"] else None,
        "preview": preview})


def _visible_upload(request: Request, who: dict[str, Any]) -> dict[str, Any] | None:
    """An upload the signed-in access may see (a clerk: their own branch's only)."""
    with _desk(request).register() as register:
        found = register.upload(int(request.path_params["id"]))
    if found is None or (who["role"] == "clerk" and found["branch"] != who["branch"]):
        return None
    return found


async def annotated(request: Request) -> Response:
    who = _who(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    shown = _visible_upload(request, who)
    if shown is None or not shown["stored"]:
        return _refuse(request, "web.not_found", 404)
    desk = _desk(request)
    name, data = await desk.run(work.annotated_copy, str(desk.inbox / shown["stored"]),
                                shown["original"],
                                str(desk.config_path) if desk.config_path else None,
                                _lang(request))
    return Response(data, media_type=XLSX, headers={"Content-Disposition": work.attachment(name)})


# --- the JSON API, for scripts: a bearer code instead of a session (no cookie, no CSRF) ----------

def _bearer(request: Request) -> dict[str, Any] | None:
    scheme, _, code = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not code:
        return None
    with _desk(request).register() as register:
        return register.signed_in(code)


def _api_error(request: Request, key: str, status: int, **params: Any) -> JSONResponse:
    return JSONResponse({"error": key, "message": say(key, _lang(request), **params)},
                        status_code=status)


async def api_upload(request: Request) -> Response:
    """``POST /api/upload`` (multipart ``file``): the validate JSON contract for the file, the
    upload's id, where it was stored (or why it was refused) and the annotated copy's URL."""
    who = _bearer(request)
    if who is None:
        return _api_error(request, "web.bad_code", 401)
    if who["role"] != "clerk":
        return _api_error(request, "web.clerks_only", 403)
    async with request.form(max_files=1, max_fields=2) as form:
        file = form.get("file")
        if not getattr(file, "filename", None):
            return _api_error(request, "web.no_file", 400)
        taken = (await _take(_desk(request), who, [file]))[0]
    contract = taken.pop("contract")
    return JSONResponse({**contract, "upload": {
        **taken, "refused_message": say(taken["refused"], _lang(request))
        if taken["refused"] else None,
        "annotated": f"/result/{taken['id']}/annotated" if taken["stored"] else None}},
        status_code=200 if taken["refused"] is None else 422)


async def api_status(request: Request) -> Response:
    """``GET /api/status?period=P``: the submission matrix (a clerk's code: its branch only)."""
    who = _bearer(request)
    if who is None:
        return _api_error(request, "web.bad_code", 401)
    desk = _desk(request)
    with desk.register() as register:
        table = period_matrix(register, desk.config,
                              request.query_params.get("period") or desk.period())
    if who["role"] == "clerk":
        table["branches"] = [b for b in table["branches"] if b["code"] == who["branch"]]
    return JSONResponse(table)


async def check_workbook(request: Request) -> Response:
    """核验: an auditor (or the treasurer) uploads a generated workbook and sees verify's
    result."""
    who = _who(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who["role"] == "clerk":
        return _refuse(request, "web.auditors_only", 403)
    desk = _desk(request)
    async with request.form(max_files=1, max_fields=2) as form:
        if not _csrf_ok(request, form):
            return _refuse(request, "web.csrf", 403)
        file = form.get("workbook")
        if not getattr(file, "filename", None):
            return _refuse(request, "web.no_file", 400)
        original, path = await _stage(desk, file)
    found = await desk.run(work.verify_upload, str(path), original,
                           str(desk.config_path) if desk.config_path else None)
    lang = _lang(request)
    findings = [{"cell": f["cell"], "sheet": f["sheet"], "severity": f["severity"],
                 "code": f["code"], **{part: f[f"{part}_{lang}"] for part in
                                      ("title", "message", "fix")}}
                for f in found.get("findings") or []]
    return _page(request, "verified.html.j2", {
        "page": "verified", **{k: v for k, v in found.items() if k not in ("findings", "cannot")},
        "cannot": found["cannot"][lang] if found["cannot"] else None, "findings": findings})


# --- the period close: the treasurer starts it; the treasurer and auditors follow it and
# download what it made ------------------------------------------------------------------------

def _start_close(desk: Desk, who: dict[str, Any], period: str | None,
                 strict: bool) -> tuple[str, bool]:
    """(the close's id, whether it was started now): one close at a time, so while one runs
    asking again answers the running one."""
    if desk.running:
        return next(iter(desk.running)), False
    job = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    folder = desk.closes / job
    folder.mkdir(parents=True)
    work.write_state(folder, id=job, state="running", stage="reading", done=0, total=0,
                     started=datetime.now().isoformat(timespec="seconds"), asked=period,
                     strict=strict, by=who["role"])
    desk.running[job] = asyncio.create_task(_closing(desk, job, folder, period, strict))
    return job, True


async def _closing(desk: Desk, job: str, folder: Path, period: str | None,
                   strict: bool) -> None:
    """A close in the closer's process; a crash of that process, or a bug in unionkit, is
    the close's failed state and the desk goes on."""
    assert desk.closer is not None
    try:
        await asyncio.get_running_loop().run_in_executor(
            desk.closer, work.close, str(folder), str(desk.inbox),
            str(desk.config_path) if desk.config_path else None, str(desk.register_path),
            period, strict)
    except BrokenProcessPool:
        desk.closer = ProcessPoolExecutor(1)
        _failed(folder, "web.close_crashed")
    except Exception:  # a bug in unionkit: said on the close's page, never a traceback
        _failed(folder, "web.close_internal")
    finally:
        desk.running.pop(job, None)


def _failed(folder: Path, key: str) -> None:
    work.write_state(folder, state="failed", stage="done",
                     finished=datetime.now().isoformat(timespec="seconds"),
                     failed={lang: say(key, lang) for lang in LANGS})


def _shown_close(state: dict[str, Any], lang: str) -> dict[str, Any]:
    """A close as its page and the API show it: its state, progress, figures and downloads."""
    done = state["state"] == "done"
    base = f"/consolidations/{state['id']}"
    return {**{k: v for k, v in state.items() if k != "failed"},
            "failed": state["failed"][lang] if state.get("failed") else None,
            "percent": int(100 * state["done"] / state["total"]) if state.get("total") else 0,
            "workbook": f"{base}/workbook" if done else None,
            "report": f"{base}/report" if state["state"] in ("done", "refused") else None}


def _visible_close(request: Request) -> tuple[Path, dict[str, Any]] | Response:
    """The close a page asks for, with its state, when the signed-in access may see it (the
    treasurer and auditors); else the page that says why not."""
    who = _who(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who["role"] == "clerk":
        return _refuse(request, "web.auditors_only", 403)
    folder = _desk(request).close_folder(request.path_params["id"])
    state = work.job_state(folder) if folder is not None else None
    if folder is None or state is None:
        return _refuse(request, "web.not_found", 404)
    return folder, state


async def consolidate_page(request: Request) -> Response:
    """``POST /consolidate``: the treasurer's 汇总 button (the period, or the latest)."""
    who = _who(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who["role"] != "treasurer":
        return _refuse(request, "web.treasurer_only", 403)
    form = await request.form()
    if not _csrf_ok(request, form):
        return _refuse(request, "web.csrf", 403)
    job, _ = _start_close(_desk(request), who, str(form.get("period") or "").strip() or None,
                          bool(form.get("strict")))
    return RedirectResponse(f"/consolidations/{job}", status_code=303)


async def close_page(request: Request) -> Response:
    """A close's page: its progress while it runs (the page refreshes itself), then its
    figures and the workbook and report to download."""
    found = _visible_close(request)
    if isinstance(found, Response):
        return found
    shown = _shown_close(found[1], _lang(request))
    return _page(request, "close.html.j2", {"page": "close", **shown,
                                            "refresh": REFRESH_SECONDS
                                            if shown["state"] == "running" else None})


async def close_download(request: Request) -> Response:
    """A close's workbook or HTML report (the treasurer and auditors; a session or a code)."""
    found = _visible_close(request)
    if isinstance(found, Response):
        return found
    (folder, state), lang = found, _lang(request)
    shown, what = _shown_close(state, lang), request.path_params["what"]
    if what not in ("workbook", "report") or shown[what] is None:
        return _refuse(request, "web.not_found", 404)
    if what == "report":  # shown in the browser: its own styles, and its one script only
        return FileResponse(folder / work.report_name(lang), media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy":
                                     "default-src 'none'; style-src 'unsafe-inline'; "
                                     f"script-src {script_hash()}",
                                     "X-Content-Type-Options": "nosniff"})
    return FileResponse(folder / work.WORKBOOK, media_type=XLSX, headers={
        "Content-Disposition": work.attachment(say("web.workbook_name", lang,
                                                   period=state["period"]))})


async def api_consolidate(request: Request) -> Response:
    """``POST /api/consolidate`` (form or JSON ``period``, ``strict``; the treasurer's code):
    202 and the close's URL; 409 and the running close's URL while another runs."""
    who = _bearer(request)
    if who is None:
        return _api_error(request, "web.bad_code", 401)
    if who["role"] != "treasurer":
        return _api_error(request, "web.treasurer_only", 403)
    asked = await _asked(request)
    job, started = _start_close(_desk(request), who,
                                str(asked.get("period") or "").strip() or None,
                                str(asked.get("strict", "")).lower() in ("1", "true", "on"))
    return JSONResponse({"id": job, "url": f"/api/consolidations/{job}", "started": started},
                        status_code=202 if started else 409)


async def _asked(request: Request) -> dict[str, Any]:
    """A request's fields, sent as JSON or as a form (anything else: none)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return dict(await request.form())
    try:
        asked = await request.json()
    except ValueError:
        return {}
    return asked if isinstance(asked, dict) else {}


async def api_close(request: Request) -> Response:
    """``GET /api/consolidations/ID``: a close's state, progress, figures and downloads."""
    who = _bearer(request)
    if who is None:
        return _api_error(request, "web.bad_code", 401)
    if who["role"] == "clerk":
        return _api_error(request, "web.auditors_only", 403)
    folder = _desk(request).close_folder(request.path_params["id"])
    state = work.job_state(folder) if folder is not None else None
    if state is None:
        return _api_error(request, "web.not_found", 404)
    return JSONResponse(_shown_close(state, _lang(request)))


class _TooLarge(Exception):
    pass


class LimitUploads:
    """Refuse a request body over the desk's limit while it streams in (413): by its
    Content-Length at once, else as the bytes arrive."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        async def sending(message: dict) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: dict, send: Any) -> None:
        lang = "en" if b"lang=en" in scope.get("query_string", b"") else "zh"
        body = say("web.too_large", lang, limit=self.limit // (1024 * 1024)).encode("utf-8")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def create_app(config_path: Path | None, inbox: Path, register_path: Path,
               max_upload: int = MAX_UPLOAD, workers: int = 1,
               secret: str | None = None, https_only: bool = False) -> Starlette:
    """The web desk over one federation's configuration, inbox and register
    (``https_only``: the session cookie only over HTTPS, behind a TLS reverse proxy)."""
    desk = Desk(config_path, Path(inbox), Path(register_path), max_upload, workers)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        desk.pool = ProcessPoolExecutor(desk.workers)
        desk.closer = ProcessPoolExecutor(1)
        desk.reader = Register(desk.register_path)
        for state in desk.closed():  # a close the desk was stopped in the middle of
            if state["state"] == "running":
                _failed(desk.closes / state["id"], "web.close_interrupted")
        try:
            yield
        finally:
            for task in desk.running.values():
                task.cancel()
            desk.reader.db.close()
            desk.pool.shutdown(cancel_futures=True)
            desk.closer.shutdown(cancel_futures=True)
            shutil.rmtree(desk.staging, ignore_errors=True)

    app = Starlette(routes=[
        Route("/", home), Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]), Route("/upload", upload, methods=["POST"]),
        Route("/result/{id:int}", result), Route("/result/{id:int}/annotated", annotated),
        Route("/verify", check_workbook, methods=["POST"]),
        Route("/consolidate", consolidate_page, methods=["POST"]),
        Route("/consolidations/{id}", close_page),
        Route("/consolidations/{id}/{what}", close_download),
        Route("/api/upload", api_upload, methods=["POST"]), Route("/api/status", api_status),
        Route("/api/consolidate", api_consolidate, methods=["POST"]),
        Route("/api/consolidations/{id}", api_close),
        Mount("/static", StaticFiles(packages=[("toolkit.web", "static")]), name="static"),
    ], middleware=[
        Middleware(LimitUploads, limit=max_upload),
        Middleware(SessionMiddleware, secret_key=secret or work.desk_secret(register_path),
                   session_cookie="unionkit_session", max_age=SESSION_SECONDS,
                   same_site="strict", https_only=https_only),
    ], lifespan=lifespan)
    app.state.desk = desk
    return app

