"""'genzoo serve': a local web page over trained runs and shipped models, and a live 2-D GAN training page.

Starlette and uvicorn are the optional extra ``genzoo[serve]``; without them the command says how to install them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from genzoo.errors import GenzooError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@contextmanager
def in_background(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a thread while the block runs; yields its base URL. What
    the load benchmark and the page tests talk to: the same server the command runs."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise GenzooError(f"the server did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


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
