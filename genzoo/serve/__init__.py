"""'genzoo serve': a local web page over trained runs and shipped models, and a live 2-D GAN training page.

Starlette and uvicorn are the optional extra ``genzoo[serve]``; without them the command says how to install them."""

from __future__ import annotations

from collections.abc import Sequence

from genzoo.errors import GenzooError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(sources: Sequence[str], host: str = "127.0.0.1", port: int = 8000, toy: bool = False) -> None:
    """Open ``sources`` and serve the explorer on host:port until interrupted."""
    try:
        import uvicorn

        from genzoo.serve.app import make_app
    except ImportError:
        raise GenzooError('genzoo serve needs Starlette and uvicorn: pip install "genzoo[serve]"') from None
    if not sources and not toy:
        raise GenzooError("nothing to serve: name run directories or pretrained:NAME, or add --toy for the live 2-D "
                          "training page")
    app = make_app(sources, toy)
    address = f"[{host}]" if ":" in host else host
    if host not in LOOPBACK:
        print(f"genzoo: serving on {host}, reachable from other machines on that network, with no login")
    print(f"genzoo: open http://{address}:{port}/" + (" (the toy page: /toy)" if toy else ""), flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
