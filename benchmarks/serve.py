"""Load test of 'genzoo serve': concurrent sample requests against one model through a real uvicorn server on
loopback, their latencies and whether any failed.

    python -m benchmarks.run serve --run runs/dcgan              # or --run pretrained:NAME
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

from benchmarks.common import provenance_of_machine, write_result


async def requests_at_once(url: str, count: int, samples: int) -> list[tuple[int, float]]:
    """``count`` sample requests sent at once, each with its own seed: (status, seconds) of each."""
    import httpx

    async def one(client: httpx.AsyncClient, seed: int) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            response = await client.get(url, params={"seed": seed, "n": samples})
            status = response.status_code
        except httpx.HTTPError:
            status = 0   # no answer at all counts as a failure
        return status, time.perf_counter() - started

    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        return await asyncio.gather(*(one(client, seed) for seed in range(count)))


def serve(args: argparse.Namespace) -> None:
    """--serve-requests concurrent requests for --serve-samples samples each from the one model of --run, served
    by uvicorn on loopback as 'genzoo serve' serves it; the median and 99th-percentile latency. Written to
    benchmarks/results/serve.json, or to --serve-out (a smoke run)."""
    from genzoo.serve import in_background
    from genzoo.serve.app import make_app
    from genzoo.serve.explorer import open_sources

    if not args.run:
        if "serve" not in args.names:   # 'all' runs it only where a model is named
            print("serve: skipped, no --run given")
            return
        raise SystemExit("serve: name the model to load-test with --run RUN_DIR or --run pretrained:NAME")
    started = time.perf_counter()
    served = open_sources([args.run])
    model_id = next(iter(served))
    with in_background(make_app(served=served)) as base:
        burst_started = time.perf_counter()
        answers = asyncio.run(requests_at_once(f"{base}/api/models/{model_id}/samples", args.serve_requests,
                                               args.serve_samples))
        wall = time.perf_counter() - burst_started
    failed = sum(status != 200 for status, _ in answers)
    latencies = sorted(seconds for _, seconds in answers)
    model = served[model_id].model
    result = {
        "benchmark": "serve",
        "what": f"{args.serve_requests} concurrent GET /api/models/ID/samples requests ({args.serve_samples} samples "
                "each, seeds 0, 1, ...) through uvicorn on loopback, all sent at once over as many connections; the "
                "model's work runs in Starlette's thread pool under the model's lock, one request at a time, so the "
                "latency of the last one answered is about the whole burst",
        "source": args.run, "model": model.name, "requests": args.serve_requests, "samples_per_request":
        args.serve_samples, "failed": failed,
        "latency_s": {"median": round(statistics.median(latencies), 4),
                      "p99": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 4),
                      "max": round(latencies[-1], 4)},
        "burst_wall_s": round(wall, 3), "requests_per_s": round(len(answers) / wall, 1),
        "provenance": provenance_of_machine(args.seed, started),
    }
    if args.serve_out:
        Path(args.serve_out).write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    else:
        write_result("serve", result)
    if failed:
        raise SystemExit(f"serve: {failed} of {args.serve_requests} requests failed")
