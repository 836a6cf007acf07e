"""The README's results table, rewritten from benchmarks/results/*.json: no number is typed by hand."""

from __future__ import annotations

import json
from pathlib import Path

START, END = "<!-- results:start -->", "<!-- results:end -->"
QUALITY_START, QUALITY_END = "<!-- quality:start -->", "<!-- quality:end -->"
GANS_START, GANS_END = "<!-- gans:start -->", "<!-- gans:end -->"


# what each Boltzmann-family benchmark's log-likelihood is, for its row
BOLTZMANN = {
    "rbm_mnist": "RBM (500 hidden, PCD), binarized MNIST test log-likelihood (nats; AIS estimate, test set binarized "
                 "once)",
    "dbn_mnist": "DBN 500-2000 (greedy PCD), binarized MNIST test log-likelihood (nats; variational lower bound, "
                 "log Z of the top RBM by AIS, test set binarized once)",
    "dbm_mnist": "DBM 500-1000 (pretrained, mean-field + PCD), binarized MNIST test log-likelihood (nats; mean-field "
                 "lower bound, log Z by AIS, test set binarized once)",
}


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def published(r: dict) -> str:
    return f"{r['published']['value']} ({r['published']['source']})"


def annealed(ll: dict) -> str:
    """A log-likelihood with the forward and reverse AIS log Z behind it, and AIS's warning if it gave one."""
    ais = ll["details"]
    value = f"{ll['value']:.2f} ± {ll['stderr']:.2f}"
    return ((f"untrusted {value}" if ais["warning"] else f"**{value}**") + f"; log Z {ais['log_partition']['value']:.2f},"
            f" reverse AIS {ais['reverse_log_partition']['value']:.2f}" + (f"; {ais['warning']}" if ais["warning"] else ""))


def rows(results: Path) -> list[str]:
    lines = ["| benchmark | measured | published | budget | machine, commit |", "|---|---|---|---|---|"]
    for r in read_results(results):
        p = r["provenance"]
        where = f"{p['machine']['cores']} cores, {p['wall_time_s'] / 60:.0f} min; `{p['commit'][:10]}`"
        if r["benchmark"] == "vae_mnist":
            iwae, elbo = r["test_log_likelihood"]["iwae"], r["test_log_likelihood"]["elbo"]
            lines.append(row("VAE, binarized MNIST test log-likelihood (nats; IWAE lower bound, test set binarized once)",
                             f"**{iwae['value']:.2f} ± {iwae['stderr']:.2f}** (k={iwae['budget']['k']}); "
                             f"ELBO {elbo['value']:.2f} ± {elbo['stderr']:.2f}", published(r),
                             f"{r['training']['epochs']} epochs, seed {p['seed']}", where))
        elif r["benchmark"] == "dcgan_mnist":
            grid = Path(r["grid"]).name
            lines.append(row("DCGAN training throughput on MNIST (images/s, median over epochs)",
                             f"**{r['throughput_images_per_s']['median_over_epochs']:.0f}**", "—",
                             f"{r['training']['steps']} steps, seed {p['seed']}; grid: [{grid}](benchmarks/results/{grid})",
                             where))
        elif r["benchmark"] in BOLTZMANN:
            ll = r["metrics"]["log_likelihood"]
            budget = ", ".join(f"{k} {v:,}" for k, v in ll["budget"].items())
            again = results / f"{r['benchmark']}_reevaluated.json"
            measured = annealed(ll) + ("; superseded by the row 'evaluated again' (its reason is in that result)"
                                       if again.exists() else "")
            if "bottom_rbm_alone" in r:
                bottom = r["bottom_rbm_alone"]
                measured += f"; its bottom RBM alone {bottom['value']:.2f} ± {bottom['stderr']:.2f}"
            total, shares = r["training"]["epochs"], r["config"]["model"].get("layer_shares")
            epochs = f"{total} epochs"
            if shares:   # each layer's epochs, its share of them
                epochs += f" ({' + '.join(f'{total * share / sum(shares):g}' for share in shares)} by layer)"
            lines.append(row(BOLTZMANN[r["benchmark"]], measured, published(r), f"{epochs}; {budget}; seed {p['seed']}",
                             where))
        elif r["benchmark"] == "reevaluated" and "value" in r["metrics"].get("log_likelihood", {}):
            ll = r["metrics"]["log_likelihood"]
            lines.append(row(f"{r['run']}: the same log-likelihood, evaluated again", annealed(ll), "—",
                             ", ".join(f"{k} {v:,}" for k, v in ll["budget"].items()) + f"; seed {p['seed']}", where))
        elif r["benchmark"] == "helmholtz_mnist":
            runs, quotes = r["runs"], r["published"]
            measured = []
            for name, run in runs.items():
                ll = run["metrics"]["log_likelihood"]
                measured.append(f"{name} **{ll['value']:.2f} ± {ll['stderr']:.2f}** "
                                f"({run['training']['seconds_per_epoch']:.0f} s/epoch)")
            quoted = "; ".join(f"{name} {quotes[name]['value'] or 'not quoted'}" for name in runs)
            sources = "; ".join(sorted({quote["source"] for quote in quotes.values()}))
            lines.append(row("Helmholtz machine (SBN 200-200), binarized MNIST test log-likelihood, wake-sleep beside "
                             "reweighted wake-sleep (nats; importance-sampled with q as proposal, a stochastic lower "
                             "bound; test set binarized once)", "; ".join(measured), f"{quoted} ({sources})",
                             f"{runs['reweighted']['training']['epochs']} epochs each, "
                             f"k={runs['reweighted']['metrics']['log_likelihood']['budget']['k']}, seed {p['seed']}",
                             where))
        elif r["benchmark"] == "eval_speed":
            m, a = r["metrics"], r["ais_784_500"]
            lines.append(row(f"Evaluation speed, 10,000 samples against 10,000 test images (s, median of "
                             f"{len(m['fd']['runs_s'])})", f"FD **{m['fd']['median_s']:.2f}**, KID "
                             f"**{m['kid (100 subsets of 1000)']['median_s']:.2f}**, precision/recall/density/coverage "
                             f"**{m['precision, recall, density, coverage']['median_s']:.2f}**; features "
                             f"{r['features_10000_images_s']:.1f}", "—", "KID: 100 subsets of 1,000", where))
            lines.append(row(f"AIS log Z of a 784-500 RBM (s, median of {len(a['runs_s'])})", f"**{a['median_s']:.1f}**",
                             "—", f"{a['chains']} chains x {a['betas']:,} betas (Salakhutdinov & Murray 2008's budget)",
                             where))
    return lines


def quality_rows(results: Path) -> list[str]:
    """One row per scored sample set: the real-data floors first, then the models."""
    lines = ["| samples | FD | KID x 1000 | precision | recall | density | coverage | classifier score | "
             "classes (KL) | test log-likelihood | commit |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    ordered = sorted(read_results(results), key=lambda r: (r["benchmark"] != "eval_floor", r.get("dataset", "")))
    for r in ordered:
        for label, m in scored_sample_sets(r):
            nll = m.get("log_likelihood", {})
            untrusted = "untrusted (AIS check failed): " if nll.get("details", {}).get("warning") else ""
            likelihood = (f"{untrusted}{nll['value']:.2f} ± {nll['stderr']:.2f} ({nll['method']}, "
                          + ", ".join(f"{k}={v}" for k, v in nll["budget"].items()) + f", n={nll['n']})"
                          if "value" in nll else "—")
            lines.append(f"| {label} | {m['fd']:.3f} | {1000 * m['kid']['value']:.3f} ± {1000 * m['kid']['std']:.3f} "
                         f"| {m['precision']:.3f} | {m['recall']:.3f} | {m['density']:.3f} | {m['coverage']:.3f} | "
                         f"{m['cs']['value']:.2f} | {m['classes_covered']}/{m['classes']} ({m['kl_to_data']:.4f}) | "
                         f"{likelihood} | `{r['provenance']['commit'][:10]}` |")
    return lines


def infogan_leak(r: dict) -> float:
    """The LeakyReLU slope of an InfoGAN result's D and Q: its config's, or DCGAN's 0.2, which InfoGAN used before the
    slope became an option (f771893) and which those results' configs therefore do not name."""
    return r["config"]["model"].get("leak", 0.2)


def seed_note(r: dict) -> str:
    """', seed N' for a result of another seed than 0, which every other result uses."""
    return f", seed {r['provenance']['seed']}" if r["provenance"]["seed"] else ""


def scored_sample_sets(r: dict) -> list[tuple[str, dict]]:
    """(label, metrics) of each sample set a result scored: none, one, or one per training algorithm."""
    if r["benchmark"] == "eval_floor":
        return [(f"real {r['dataset']} training images (floor)", r["metrics"])]
    if r["benchmark"] == "reevaluated" and "fd" in r["metrics"]:
        return [(f"{r['model']} on {r['dataset']} ({r['step']:,} steps), evaluated again", r["metrics"])]
    if r["benchmark"] == "eval_run" or r["benchmark"] in BOLTZMANN:
        return [(f"{r['model']} on {r['dataset']} ({r['step']:,} steps)", r["metrics"])]
    if r["benchmark"] == "helmholtz_mnist":
        return [(f"{r['model']} ({algorithm}) on {r['dataset']} ({run['step']:,} steps)", run["metrics"])
                for algorithm, run in r["runs"].items()]
    if r["benchmark"] == "gan_family":
        return [(f"{r['model']} on {r['dataset']} ({r['step']:,} steps{seed_note(r)})", r["metrics"])]
    return []


def gan_rows(results: Path) -> list[str]:
    """The GAN family at one budget: sample quality, and whether the loss a user watches tracks FD."""
    lines = ["| model | data | budget | FD | KID x 1000 | precision / recall | classes (confident share) | "
             "label accuracy | watched loss vs FD: Spearman rho, whole run; after the first 20% | commit |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    analysis = next((r for r in read_results(results) if r["benchmark"] == "gan_convergence"), None)
    for r in read_results(results):
        if r["benchmark"] != "gan_family":
            continue
        m, t = r["metrics"], r["training"]
        # gan_convergence's reading of a run, where it was made after the run (a later run of the same name replaces
        # the one it read); otherwise the run's own
        analysed = (analysis["runs"] if analysis and analysis["provenance"]["date"] > r["provenance"]["date"] else {})
        c = analysed.get(Path(r["curves"]).name.removesuffix("_curves.svg"), r["convergence"])
        later = (f"; **{c['after_warm_up']['spearman_rho']:+.2f}** (p {c['after_warm_up']['p_value']:.2g})"
                 if "after_warm_up" in c else "")
        curves = Path(r["curves"]).name
        lines.append(row(f"`{r['model']}`", r["dataset"], f"{t['epochs']} epochs, {t['steps']:,} steps{seed_note(r)}, "
                         f"{t['train_time_s'] / 60:.0f} min", f"**{m['fd']:.2f}**",
                         f"{1000 * m['kid']['value']:.2f} ± {1000 * m['kid']['std']:.2f}",
                         f"{m['precision']:.2f} / {m['recall']:.2f}",
                         f"{m['classes_covered']}/{m['classes']} ({m['confident_share']:.2f})",
                         f"{m['acc']:.3f}" if "acc" in m else "—",
                         f"`{c['watched']}` **{c['spearman_rho']:+.2f}** (p {c['p_value']:.2g}){later}; "
                         f"{c['evaluations']} evaluations, [curves](benchmarks/results/{curves})",
                         f"`{r['provenance']['commit'][:10]}`"))
    for r in read_results(results):
        if r["benchmark"] != "gan_family" or "codes" not in r:
            continue
        codes = r["codes"]
        lines += ["", f"| InfoGAN's codes on {r['dataset']}, seed {r['provenance']['seed']}, LeakyReLU slope "
                      f"{infogan_leak(r)} | measured |", "|---|---|",
                  row("categorical code: accuracy against genzoo's classifier under the best one-to-one matching "
                      "(Chen et al. 2016 report 5% error on MNIST)", f"**{codes['categorical']['accuracy']:.3f}**")]
        if "categorical_read_by_q" in codes:
            lines.append(row("categorical code read by Q on the test digits, against their labels under the best "
                             "one-to-one matching (the paper's use of c1 as a classifier)",
                             f"**{codes['categorical_read_by_q']['accuracy']:.3f}**"))
        if "categorical_read_by_q_on_validation" in codes:
            lines.append(row("categorical code read by Q on the validation digits, likewise (by which "
                             "`infogan_choice` chooses among seeds)",
                             f"{codes['categorical_read_by_q_on_validation']['accuracy']:.3f}"))
        for code, measures in codes.items():
            if code.startswith("continuous"):
                lines.append(row(f"{code} swept from -2 to 2: slant and width of the ink (Spearman rho of the means, "
                                 "monotonic?)", "; ".join(f"{name} {m['spearman_rho']:+.2f} "
                                                          f"({'monotonic' if m['monotonic'] else 'not monotonic'})"
                                                          for name, m in measures.items())))
    for r in read_results(results):
        if r["benchmark"] != "infogan_choice":
            continue
        left_out = ", ".join(str(seed) for seed in r["left_out_seeds"]) or "none"
        lines += ["", f"| InfoGAN on mnist, the run chosen by Q's reading of the validation digits (seeds left out, "
                      f"from before that reading: {left_out}) | code against genzoo's classifier, samples | Q on the "
                      "test digits | Q on the validation digits |", "|---|---|---|---|"]
        for c in r["candidates"]:
            figures = [f"{accuracy:.3f}" for accuracy in c["accuracy"].values()]   # samples, test, validation
            run = f"seed {c['seed']}, LeakyReLU slope {c['leak']}"
            if c == r["chosen"]:
                lines.append(row(f"**{run}, chosen**", *(f"**{f}**" for f in figures)))
            else:
                lines.append(row(run, *figures))
    for r in read_results(results):
        if r["benchmark"] != "gan_modes":
            continue
        lines += ["", "| mode collapse: MLP 4 x 512 | 25 Gaussians: modes covered | along the run | "
                  "high-quality share | KL of the nearest modes to uniform: at the end; the most along the run | "
                  "MNIST: FD | classes | confident share | KL to the data's classes | class histogram |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for model, toy in r["grid25"].items():
            mnist = r["mnist"].get(model, {}).get("metrics")
            spread = [a["nearest_mode_kl_to_uniform"] for a in toy["along_the_run"] if "nearest_mode_kl_to_uniform" in a]
            lines.append(row(f"`{model}`", f"**{toy['modes_covered']}/{toy['modes']}**",
                             ", ".join(f"{a['modes_covered']}" for a in toy["along_the_run"])
                             + f" (every {toy['along_the_run'][0]['step']:,} updates)",
                             f"{toy['high_quality_share']:.3f}",
                             f"{spread[-1]:.3f}; {max(spread):.3f}" if spread else "—",
                             *((f"{mnist['fd']:.2f}", f"**{mnist['classes_covered']}/{mnist['classes']}**",
                                f"{mnist['confident_share']:.3f}", f"{mnist['kl_to_data']:.3f}",
                                " ".join(f"{v:.2f}" for v in mnist["histogram"]))
                               if mnist else ("—",) * 5)))
        lines.append(f"\n[25 Gaussians]({r['grid25_picture']}); `{r['provenance']['commit'][:10]}`, "
                     f"{r['provenance']['wall_time_s'] / 60:.0f} min")
    for r in read_results(results):
        if r["benchmark"] != "gan_ablation":
            continue
        epochs = r["config"]["train"]["epochs"]
        lines += ["", f"| Improved-GAN ablation: dcgan, {epochs} epochs, seed {r['provenance']['seed']} | FD | KID x 1000 | "
                  "classifier score | precision / recall | classes (confident share) |", "|---|---|---|---|---|---|"]
        for technique, t in r["techniques"].items():
            m = t["metrics"]
            lines.append(row(technique, f"**{m['fd']:.2f}**",
                             f"{1000 * m['kid']['value']:.2f} ± {1000 * m['kid']['std']:.2f}",
                             f"{m['cs']['value']:.2f} ± {m['cs']['std']:.2f}", f"{m['precision']:.2f} / {m['recall']:.2f}",
                             f"{m['classes_covered']}/{m['classes']} ({m['confident_share']:.2f})"))
        lines.append(f"\n`{r['provenance']['commit'][:10]}`, {r['provenance']['wall_time_s'] / 60:.0f} min")
    return lines + stackgan_rows(results)


def stackgan_rows(results: Path) -> list[str]:
    """StackGAN on mnist-captions, with and without Conditioning Augmentation: text-image match of each stage against
    the real canvases' ceiling, and FD to the test canvases against the real floor."""
    lines = []
    for r in read_results(results):
        if r["benchmark"] != "stackgan_captions":
            continue
        ceiling = r["caption_match_of_real_test_canvases"]["caption_match"]
        floor = next(v for k, v in r.items() if k.startswith("fd_of_"))
        lines += ["", f"| StackGAN on mnist-captions, seed {r['provenance']['seed']} | budget | caption match, "
                  f"Stage-I / Stage-II (real test canvases: {100 * ceiling:.1f}%) | FD to the test canvases, Stage-I / "
                  f"Stage-II (real training canvases: {floor:.3f}) | CA's conditions at their means: match, Stage-I / "
                  "Stage-II; FD, Stage-II | s per epoch, Stage-I / Stage-II | captions and both stages |",
                  "|---|---|---|---|---|---|---|"]
        for run in r["runs"].values():
            t, m, fd = run["training"], run["caption_match"], run["fd"]
            stage1, stage2, *at_mean = list(m)
            centred = "—"
            if at_mean:
                centred = (f"{100 * m[at_mean[0]]['caption_match']:.1f}% / "
                           f"**{100 * m[at_mean[1]]['caption_match']:.1f}%**; {fd[at_mean[1]]:.3f}")
            lines.append(row(run["variant"], f"{t['epochs']} epochs, {t['steps']:,} steps ({t['stage1_steps']:,} "
                             f"Stage-I), {t['train_time_s'] / 60:.0f} min",
                             f"{100 * m[stage1]['caption_match']:.1f}% / **{100 * m[stage2]['caption_match']:.1f}%**",
                             f"{fd[stage1]:.3f} / **{fd[stage2]:.3f}**",
                             centred,
                             " / ".join(f"{v:.0f}" for v in t["seconds_per_epoch"].values()),
                             f"[{Path(run['sheet']).name}]({run['sheet']})"))
        trained = r.get("trained", r["provenance"])
        lines.append(f"\ntrained at `{trained['commit'][:10]}`, {trained['wall_time_s'] / 60:.0f} min"
                     + (f"; scored again at `{r['provenance']['commit'][:10]}`" if "trained" in r else "")
                     + f", {r['provenance']['machine']['cores']} cores")
    return lines


def read_results(results: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(results.glob("*.json"))]


def replace_block(text: str, start: str, end: str, lines: list[str]) -> str:
    if start not in text or end not in text:
        return text
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + "\n" + "\n".join(lines) + "\n" + end + tail


def write_readme_table(results: Path, readme: Path) -> None:
    text = replace_block(readme.read_text(), START, END, rows(results))
    text = replace_block(text, QUALITY_START, QUALITY_END, quality_rows(results))
    readme.write_text(replace_block(text, GANS_START, GANS_END, gan_rows(results)))


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    write_readme_table(root / "benchmarks" / "results", root / "README.md")
