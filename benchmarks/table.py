"""The README's results table, rewritten from benchmarks/results/*.json: no number is typed by hand."""

from __future__ import annotations

import json
from pathlib import Path

START, END = "<!-- results:start -->", "<!-- results:end -->"


def rows(results: Path) -> list[str]:
    lines = ["| benchmark | measured | published | budget | machine, commit |", "|---|---|---|---|---|"]
    for path in sorted(results.glob("*.json")):
        r = json.loads(path.read_text())
        p = r["provenance"]
        where = f"{p['machine']['cores']} cores, {p['wall_time_s'] / 60:.0f} min; `{p['commit'][:10]}`"
        if r["benchmark"] == "vae_mnist":
            iwae = r["test_log_likelihood"]["iwae"]
            elbo = r["test_log_likelihood"]["elbo"]
            lines.append(f"| VAE, binarized MNIST test log-likelihood (nats; IWAE lower bound, test set binarized "
                         f"once) | **{iwae['value']:.2f} ± {iwae['stderr']:.2f}** (k={iwae['budget']['k']}); "
                         f"ELBO {elbo['value']:.2f} ± {elbo['stderr']:.2f} | {r['published']['value']} "
                         f"({r['published']['source']}) | {r['training']['epochs']} epochs, seed {p['seed']} | {where} |")
        elif r["benchmark"] == "dcgan_mnist":
            t = r["throughput_images_per_s"]
            lines.append(f"| DCGAN training throughput on MNIST (images/s, median over epochs) | "
                         f"**{t['median_over_epochs']:.0f}** | — | {r['training']['steps']} steps, seed {p['seed']}; "
                         f"grid: [{Path(r['grid']).name}](benchmarks/results/{Path(r['grid']).name}) | {where} |")
    return lines


def write_readme_table(results: Path, readme: Path) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        return
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + START + "\n" + "\n".join(rows(results)) + "\n" + END + tail)


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    write_readme_table(root / "benchmarks" / "results", root / "README.md")
