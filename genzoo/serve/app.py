"""The explorer's web application: Starlette routes over genzoo.serve.explorer and genzoo.serve.toy_page.

Starlette and uvicorn, not the standard library's http.server: the model work runs in Starlette's thread pool
(``run_in_threadpool``) under a lock per model, so a slow request (an AIS estimate, a long Gibbs run) holds its own
model and never the others or the page's files; uvicorn serves many connections at once. Both are small, well kept
and pure Python on top of what the CPU build of torch already needs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from genzoo.errors import GenzooError
from genzoo.serve.explorer import NotFound, Params, Served, answer, describe, open_sources, run_record
from genzoo.serve.toy_page import ToyGames

STATIC = resources.files("genzoo.serve") / "static"
MAX_BODY = 1_000_000   # bytes of a JSON body: a 784-pixel drawing is about 10 kB


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message.splitlines()[0] if message else "error"}, status_code=status)


async def body_values(request: Request) -> dict[str, Any]:
    """The query's parameters, and a POST's JSON object over them."""
    values: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise GenzooError(f"the request's body is over {MAX_BODY:,} bytes")
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                raise GenzooError("the request's body is not JSON") from None
            if not isinstance(parsed, dict):
                raise GenzooError("the request's body must be a JSON object")
            values.update(parsed)
    return values


def make_app(sources: Sequence[str] = (), toy: bool = False, served: dict[str, Served] | None = None) -> Starlette:
    """The application serving the runs or shipped models ``sources`` (opened once, here) and, with ``toy``, the
    live 2-D training page."""
    models = served if served is not None else open_sources(sources)
    games = ToyGames()

    def page(name: str):
        async def endpoint(request: Request) -> Response:
            return FileResponse(str(STATIC / name), media_type="text/html")
        return endpoint

    async def list_models(request: Request) -> Response:
        return JSONResponse({"models": [describe(m) for m in models.values()], "toy": toy})

    async def run_of(request: Request) -> Response:
        model_id = request.path_params["model_id"]
        if model_id not in models:
            raise NotFound(f"no model '{model_id[:60]}' is served here")
        return JSONResponse(await run_in_threadpool(run_record, models[model_id]))

    async def act(request: Request) -> Response:
        values = await body_values(request)
        return JSONResponse(await run_in_threadpool(answer, models, request.path_params["model_id"],
                                                    request.path_params["action"], values))

    async def toy_new(request: Request) -> Response:
        if not toy:
            raise NotFound("the toy page is off: start 'genzoo serve --toy'")
        return JSONResponse(await run_in_threadpool(games.create, Params(await body_values(request))))

    async def toy_step(request: Request) -> Response:
        if not toy:
            raise NotFound("the toy page is off: start 'genzoo serve --toy'")
        values = await body_values(request)
        return JSONResponse(await run_in_threadpool(games.step, request.path_params["game"], Params(values)))

    async def refused(request: Request, exc: Exception) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400
        return error(status, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return error(exc.status_code, str(exc.detail))

    async def failed(request: Request, exc: Exception) -> Response:
        return error(500, f"the server failed on this request: {type(exc).__name__}: {exc}")

    routes = [
        Route("/", page("index.html")),
        Route("/toy", page("toy.html")),
        Route("/api/models", list_models),
        Route("/api/models/{model_id}/run", run_of),
        Route("/api/models/{model_id}/{action}", act, methods=["GET", "POST"]),
        Route("/api/toy", toy_new, methods=["POST"]),
        Route("/api/toy/{game}", toy_step, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={GenzooError: refused, HTTPException: http_error,
                                                        Exception: failed})
