"""The results tables of docs/results.md and the README's headline table, rewritten from benchmarks/results/*.json:
no number is typed by hand. A result file of a benchmark run over several seeds holds them all under "seeds"."""

from __future__ import annotations

import json
from pathlib import Path

# what each Boltzmann-family benchmark's log-likelihood is, for its row
BOLTZMANN = {
    "rbm_mnist": "RBM (500 hidden, PCD), binarized MNIST test log-likelihood (nats; AIS estimate, test set binarized "
                 "once)",
    "dbn_mnist": "DBN 500-2000 (greedy PCD), binarized MNIST test log-likelihood (nats; variational lower bound, "
                 "log Z of the top RBM by AIS, test set binarized once)",
    "dbm_mnist": "DBM 500-1000 (pretrained, mean-field + PCD), binarized MNIST test log-likelihood (nats; mean-field "
                 "lower bound, log Z by AIS, test set binarized once)",
}


def short_commit(commit: str) -> str:
    """A commit as the tables show it: ten hex digits, and '+uncommitted' where the code that measured had changes
    not yet committed."""
    return commit[:10] + ("+uncommitted" if commit.endswith("+uncommitted") else "")


def row(*cells: str) -> str:
    """A Markdown table row; a '|' inside a cell (q(h|x)) is escaped."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def published(r: dict) -> str:
    return f"{r['published']['value']} ({r['published']['source']})"


def annealed(ll: dict) -> str:
    """A log-likelihood with the forward and reverse AIS log Z behind it, and AIS's warning if it gave one."""
    ais = ll["details"]
    value = f"{ll['value']:.2f} ± {ll['stderr']:.2f}"
    return ((f"untrusted {value}" if ais["warning"] else f"**{value}**")
            + f"; log Z {ais['log_partition']['value']:.2f}, reverse AIS {ais['reverse_log_partition']['value']:.2f}"
            + (f"; {ais['warning']}" if ais["warning"] else ""))


def rows(results: Path) -> list[str]:
    lines = ["| benchmark | measured | published | budget | machine, commit |", "|---|---|---|---|---|"]
    for r in read_results(results):
        p = r["provenance"]
        where = f"{p['machine']['cores']} cores, {p['wall_time_s'] / 60:.0f} min; `{short_commit(p['commit'])}`"
        if r["benchmark"] == "vae_mnist":
            iwae, elbo = r["test_log_likelihood"]["iwae"], r["test_log_likelihood"]["elbo"]
            lines.append(row("VAE, binarized MNIST test log-likelihood (nats; IWAE lower bound, test set binarized "
                             "once)",
                             f"**{iwae['value']:.2f} ± {iwae['stderr']:.2f}** (k={iwae['budget']['k']}); "
                             f"ELBO {elbo['value']:.2f} ± {elbo['stderr']:.2f}", published(r),
                             f"{r['training']['epochs']} epochs, seed {p['seed']}", where))
        elif r["benchmark"] == "dcgan_mnist":
            grid = Path(r["grid"]).name
            lines.append(row("DCGAN training throughput on MNIST (images/s, median over epochs)",
                             f"**{r['throughput_images_per_s']['median_over_epochs']:.0f}**", "—",
                             f"{r['training']['steps']} steps, seed {p['seed']}; "
                             f"grid: [{grid}](../benchmarks/results/{grid})",
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
                bound = (f"; k = 1 bound {run['variational_bound']['value']:.2f} ± "
                         f"{run['variational_bound']['stderr']:.2f}" if "variational_bound" in run else "")
                measured.append(f"{name} **{ll['value']:.2f} ± {ll['stderr']:.2f}**{bound} "
                                f"({run['training']['seconds_per_epoch']:.0f} s/epoch)")
            quoted = "; ".join(f"{name} {quotes[name]['value'] or 'not quoted'}" for name in runs)
            sources = "; ".join(sorted({quote["source"] for quote in quotes.values()}))
            if "published_bound" in r:
                others = r["published_bound"]
                quoted += ("; k = 1 bounds of the same architecture trained by other estimators: "
                           + ", ".join(f"{name} {value}" for name, value in others["bounds"].items()))
                sources += f"; {others['source']}"
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
            lines.append(row(f"AIS log Z of a 784-500 RBM (s, median of {len(a['runs_s'])})",
                             f"**{a['median_s']:.1f}**",
                             "—", f"{a['chains']} chains x {a['betas']:,} betas (Salakhutdinov & Murray 2008's budget)",
                             where))
    return lines


def quality_rows(results: Path, other_seeds: bool = False) -> list[str]:
    """One row per scored sample set: the real-data floors first, then the models (with ``other_seeds``, only the
    seeds after the first of the benchmarks run over several)."""
    lines = ["| samples | FD | KID x 1000 | precision | recall | density | coverage | classifier score | "
             "classes (KL) | test log-likelihood | commit |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    first = read_results(results, other_seeds=False)
    chosen = first if not other_seeds else [r for r in read_results(results) if r not in first]
    ordered = sorted(chosen, key=lambda r: (r["benchmark"] != "eval_floor", r.get("dataset", "")))
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
                         f"{likelihood} | `{short_commit(r['provenance']['commit'])}` |")
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


def gan_row(r: dict, analysis: dict | None) -> str:
    """One gan_family run: its budget, sample quality, and whether the loss a user watches tracks FD."""
    m, t = r["metrics"], r["training"]
    # gan_convergence's reading of a run, where it was made after the run (a later run of the same name replaces
    # the one it read); otherwise the run's own
    analysed = (analysis["runs"] if analysis and analysis["provenance"]["date"] > r["provenance"]["date"] else {})
    c = analysed.get(Path(r["curves"]).name.removesuffix("_curves.svg"), r["convergence"])
    later = (f"; **{c['after_warm_up']['spearman_rho']:+.2f}** (p {c['after_warm_up']['p_value']:.2g})"
             if "after_warm_up" in c else "")
    curves = Path(r["curves"]).name
    return row(f"`{r['model']}`", r["dataset"], f"{t['epochs']} epochs, {t['steps']:,} steps{seed_note(r)}, "
               f"{t['train_time_s'] / 60:.0f} min", f"**{m['fd']:.2f}**",
               f"{1000 * m['kid']['value']:.2f} ± {1000 * m['kid']['std']:.2f}",
               f"{m['precision']:.2f} / {m['recall']:.2f}",
               f"{m['classes_covered']}/{m['classes']} ({m['confident_share']:.2f})",
               f"{m['acc']:.3f}" if "acc" in m else "—",
               f"`{c['watched']}` **{c['spearman_rho']:+.2f}** (p {c['p_value']:.2g}){later}; "
               f"{c['evaluations']} evaluations, [curves](../benchmarks/results/{curves})",
               f"`{short_commit(r['provenance']['commit'])}`")


GAN_HEADER = ["| model | data | budget | FD | KID x 1000 | precision / recall | classes (confident share) | "
              "label accuracy | watched loss vs FD: Spearman rho, whole run; after the first 20% | commit |",
              "|---|---|---|---|---|---|---|---|---|---|"]


def gan_rows(results: Path) -> list[str]:
    """The GAN family at one budget, a row per model and dataset (seed 0), then each figure's spread over the seeds
    where a model ran more than once."""
    analysis = next((r for r in read_results(results) if r["benchmark"] == "gan_convergence"), None)
    files = [f for f in read_result_files(results) if f["benchmark"] == "gan_family"]
    lines = GAN_HEADER + [gan_row(f["seeds"][0], analysis) for f in files]
    for f in files:
        if len(f["seeds"]) < 2:
            continue
        lines += ["", f"| `{f['model']}` on {f['dataset']}, over the seeds at its latest settings | mean ± std | min "
                  "| max | seeds |",
                  "|---|---|---|---|---|"]
        for figure, s in f["across_seeds"].items():
            lines.append(row(FIGURE_NAMES.get(figure, figure), f"**{s['mean']:.3f}** ± {s['std']:.3f}",
                             f"{s['min']:.3f}", f"{s['max']:.3f}", ", ".join(map(str, s["seeds"]))))
    return lines


# what each figure spread over seeds is, for its row
FIGURE_NAMES = {
    "fd": "FD", "kid_x1000": "KID x 1000", "precision": "precision", "recall": "recall", "acc": "label accuracy",
    "codes.categorical": "categorical code against genzoo's classifier (samples)",
    "codes.categorical_read_by_q": "categorical code read by Q on the test digits",
    "codes.categorical_read_by_q_on_validation": "categorical code read by Q on the validation digits",
    "caption_match.ca.Stage-II": "caption match, Stage-II with CA, conditions drawn",
    "caption_match.ca.Stage-II_at_mean": "caption match, Stage-II with CA, conditions at their means",
    "caption_match.no_ca.Stage-II": "caption match, Stage-II without CA",
    "fd.ca.Stage-II": "FD, Stage-II with CA, conditions drawn",
}


def gan_seed_rows(results: Path) -> list[str]:
    """Every seed of every GAN run more than once, and InfoGAN's codes in each of them."""
    analysis = next((r for r in read_results(results) if r["benchmark"] == "gan_convergence"), None)
    files = [f for f in read_result_files(results) if f["benchmark"] == "gan_family" and len(f["seeds"]) > 1]
    lines = GAN_HEADER + [gan_row(r, analysis) for f in files for r in f["seeds"]]
    for f in files:
        for r in f["seeds"]:
            if "codes" in r:
                lines += ["", *infogan_code_rows(r)]
    return lines


def infogan_code_rows(r: dict) -> list[str]:
    """What InfoGAN's codes control in one run: the categorical code against the digits, the continuous ones against
    slant and width."""
    codes = r["codes"]
    lines = [f"| InfoGAN's codes on {r['dataset']}, seed {r['provenance']['seed']}, LeakyReLU slope "
             f"{infogan_leak(r)} | measured |", "|---|---|",
             row("categorical code: accuracy against genzoo's classifier under the best one-to-one matching "
                 "(Chen et al. 2016 report 5% error on MNIST)", f"**{codes['categorical']['accuracy']:.3f}**")]
    if "categorical_read_by_q" in codes:
        lines.append(row("categorical code read by Q on the test digits, against their labels under the best "
                         "one-to-one matching (the paper's use of c1 as a classifier)",
                         f"**{codes['categorical_read_by_q']['accuracy']:.3f}**"))
    if "categorical_read_by_q_on_validation" in codes:
        lines.append(row("categorical code read by Q on the validation digits, likewise (by which the run is "
                         "chosen among seeds)", f"{codes['categorical_read_by_q_on_validation']['accuracy']:.3f}"))
    for code, measures in codes.items():
        if code.startswith("continuous"):
            lines.append(row(f"{code} swept from -2 to 2: slant and width of the ink (Spearman rho of the means, "
                             "monotonic?)", "; ".join(f"{name} {m['spearman_rho']:+.2f} "
                                                      f"({'monotonic' if m['monotonic'] else 'not monotonic'})"
                                                      for name, m in measures.items())))
    return lines


def infogan_choice_rows(results: Path) -> list[str]:
    """The InfoGAN run chosen among seeds on the validation digits, beside the other candidates, and its codes."""
    lines: list[str] = []
    for f in read_result_files(results):
        if f["benchmark"] != "gan_family" or "chosen" not in f:
            continue
        chosen = f["chosen"]
        left_out = ", ".join(str(seed) for seed in chosen["left_out_seeds"]) or "none"
        lines += [f"| InfoGAN on {f['dataset']}, the run chosen by Q's reading of the validation digits (seeds left "
                  f"out, from before that reading: {left_out}) | code against genzoo's classifier, samples | Q on the "
                  "test digits | Q on the validation digits |", "|---|---|---|---|"]
        for c in chosen["candidates"]:
            figures = [f"{accuracy:.3f}" for accuracy in c["accuracy"].values()]   # samples, test, validation
            run = f"seed {c['seed']}, LeakyReLU slope {c['leak']}"
            if c["seed"] == chosen["seed"]:
                lines.append(row(f"**{run}, chosen**", *(f"**{f}**" for f in figures)))
            else:
                lines.append(row(run, *figures))
        lines += ["", *infogan_code_rows(next(r for r in f["seeds"] if r["provenance"]["seed"] == chosen["seed"]))]
    return lines


def gan_modes_rows(results: Path) -> list[str]:
    """Mode collapse of the MLP GAN against the WGANs: the 25 Gaussians, and the classes of MNIST samples."""
    lines: list[str] = []
    for r in read_results(results):
        if r["benchmark"] != "gan_modes":
            continue
        lines += ["| mode collapse: MLP 4 x 512 | 25 Gaussians: modes covered | along the run | "
                  "high-quality share | KL of the nearest modes to uniform: at the end; the most along the run | "
                  "MNIST: FD | classes | confident share | KL to the data's classes | class histogram |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for model, toy in r["grid25"].items():
            mnist = r["mnist"].get(model, {}).get("metrics")
            spread = [a["nearest_mode_kl_to_uniform"] for a in toy["along_the_run"]
                      if "nearest_mode_kl_to_uniform" in a]
            lines.append(row(f"`{model}`", f"**{toy['modes_covered']}/{toy['modes']}**",
                             ", ".join(f"{a['modes_covered']}" for a in toy["along_the_run"])
                             + f" (every {toy['along_the_run'][0]['step']:,} updates)",
                             f"{toy['high_quality_share']:.3f}",
                             f"{spread[-1]:.3f}; {max(spread):.3f}" if spread else "—",
                             *((f"{mnist['fd']:.2f}", f"**{mnist['classes_covered']}/{mnist['classes']}**",
                                f"{mnist['confident_share']:.3f}", f"{mnist['kl_to_data']:.3f}",
                                " ".join(f"{v:.2f}" for v in mnist["histogram"]))
                               if mnist else ("—",) * 5)))
        lines.append(f"\n[25 Gaussians](../{r['grid25_picture']}); `{short_commit(r['provenance']['commit'])}`, "
                     f"{r['provenance']['wall_time_s'] / 60:.0f} min")
    return lines


def gan_ablation_rows(results: Path) -> list[str]:
    """Each Improved-GAN technique switched on alone in the dcgan, at one seed and budget."""
    lines: list[str] = []
    for r in read_results(results):
        if r["benchmark"] != "gan_ablation":
            continue
        epochs = r["config"]["train"]["epochs"]
        lines += [f"| Improved-GAN ablation: dcgan, {epochs} epochs, seed {r['provenance']['seed']} | FD | "
                  "KID x 1000 | classifier score | precision / recall | classes (confident share) |",
                  "|---|---|---|---|---|---|"]
        for technique, t in r["techniques"].items():
            m = t["metrics"]
            lines.append(row(technique, f"**{m['fd']:.2f}**",
                             f"{1000 * m['kid']['value']:.2f} ± {1000 * m['kid']['std']:.2f}",
                             f"{m['cs']['value']:.2f} ± {m['cs']['std']:.2f}",
                             f"{m['precision']:.2f} / {m['recall']:.2f}",
                             f"{m['classes_covered']}/{m['classes']} ({m['confident_share']:.2f})"))
        lines.append(f"\n`{short_commit(r['provenance']['commit'])}`, {r['provenance']['wall_time_s'] / 60:.0f} min")
    return lines

def stackgan_table(r: dict) -> list[str]:
    """One StackGAN seed on mnist-captions, with and without Conditioning Augmentation: text-image match of each stage
    against the real canvases' ceiling, and FD to the test canvases against the real floor."""
    ceiling = r["caption_match_of_real_test_canvases"]["caption_match"]
    floor = next(v for k, v in r.items() if k.startswith("fd_of_"))
    lines = [f"| StackGAN on mnist-captions, seed {r['provenance']['seed']} | budget | caption match, "
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
                         f"[{Path(run['sheet']).name}](../{run['sheet']})"))
    trained = r.get("trained", r["provenance"])
    lines.append(f"\ntrained at `{short_commit(trained['commit'])}`, {trained['wall_time_s'] / 60:.0f} min"
                 + (f"; scored again at `{short_commit(r['provenance']['commit'])}`" if "trained" in r else "")
                 + f", {r['provenance']['machine']['cores']} cores")
    return lines


def stackgan_rows(results: Path) -> list[str]:
    """StackGAN's first seed, then each figure's spread over its seeds."""
    lines: list[str] = []
    for f in read_result_files(results):
        if f["benchmark"] != "stackgan_captions":
            continue
        lines += stackgan_table(f["seeds"][0])
        if len(f["seeds"]) > 1:
            lines += ["", "| StackGAN on mnist-captions, over the seeds at its latest settings (test captions) | "
                      "mean ± std | min | max | seeds |",
                      "|---|---|---|---|---|"]
            for figure, s in f["across_seeds"].items():
                lines.append(row(FIGURE_NAMES.get(figure, figure), f"**{s['mean']:.4f}** ± {s['std']:.4f}",
                                 f"{s['min']:.4f}", f"{s['max']:.4f}", ", ".join(map(str, s["seeds"]))))
    return lines


def stackgan_seed_rows(results: Path) -> list[str]:
    """StackGAN's other seeds, each in full."""
    return [line for f in read_result_files(results) if f["benchmark"] == "stackgan_captions"
            for r in f["seeds"][1:] for line in ["", *stackgan_table(r)]]


# the lecture's order of the models, for the headline table
LECTURE_ORDER = ("helmholtz", "rbm", "dbn", "dbm", "vae", "gan", "dcgan", "cgan", "infogan", "stackgan", "wgan",
                 "wgan-gp")


def headline_results(results: Path) -> list[dict]:
    """The result behind each model's headline: its benchmark's, and among seeds the chosen run, else the first."""
    chosen = []
    for f in read_result_files(results):
        if "seeds" not in f:
            chosen.append(f)
        else:
            seed = f.get("chosen", {}).get("seed", f["seeds"][0]["provenance"]["seed"])
            chosen.append(next(r for r in f["seeds"] if r["provenance"]["seed"] == seed))
    return chosen


def headline_rows(results: Path) -> list[str]:
    """One line per model: its headline figure on MNIST beside the published one, for the README."""
    lines = []
    for r in headline_results(results):
        budget = f"{r['training']['epochs']} epochs" if "epochs" in r.get("training", {}) else ""
        seed = f", seed {r['provenance']['seed']}"
        if r["benchmark"] == "vae_mnist":
            ll = r["test_log_likelihood"]["iwae"]
            lines.append(("vae", row("`vae`", f"log-likelihood, nats (IWAE lower bound, k={ll['budget']['k']:,}; "
                                     "trained on dynamic, tested on fixed binarization)",
                                     f"**{ll['value']:.2f} ± {ll['stderr']:.2f}**", published(r), budget + seed)))
        elif r["benchmark"] in BOLTZMANN:
            ll = r["metrics"]["log_likelihood"]
            lines.append((r["model"], row(f"`{r['model']}`", f"log-likelihood, nats ({ll['method']}; fixed "
                                          "binarization; " + ", ".join(f"{k} {v:,}" for k, v in ll["budget"].items())
                                          + ")", f"**{ll['value']:.2f} ± {ll['stderr']:.2f}**", published(r),
                                          budget + seed)))
        elif r["benchmark"] == "helmholtz_mnist":
            others = r.get("published_bound")
            for algorithm, run in r["runs"].items():
                ll, bound = run["metrics"]["log_likelihood"], run.get("variational_bound")
                figure = f"log-likelihood, nats ({ll['method']}, k={ll['budget']['k']:,}"
                value = f"**{ll['value']:.2f} ± {ll['stderr']:.2f}**"
                if bound:
                    figure += "; its k = 1 variational bound"
                    value += f"; {bound['value']:.2f} ± {bound['stderr']:.2f}"
                quoted = r["published"][algorithm]["value"] or "—"
                if others:
                    quoted = ("k = 1 bounds, other estimators: " + ", ".join(f"{name} {value}" for name, value in
                                                                             others["bounds"].items())
                              + f" ({others['source'].split(', Table')[0]})")
                lines.append(("helmholtz", row(f"`helmholtz` ({algorithm})", figure + "; fixed binarization)", value,
                                               str(quoted), f"{run['training']['epochs']} epochs" + seed)))
        elif r["benchmark"] == "eval_floor" and r["dataset"] == "mnist":
            m = r["metrics"]
            lines.append(("gan", row("real training images (the floor of FD)", "FD, classes covered",
                                     f"{m['fd']:.2f}, {m['classes_covered']}/{m['classes']}", "—", "—")))
        elif r["benchmark"] == "gan_family" and r["dataset"] == "mnist":
            m = r["metrics"]
            figure, value = "FD, classes covered", f"**{m['fd']:.2f}**, {m['classes_covered']}/{m['classes']}"
            if "acc" in m:
                figure, value = figure + ", label accuracy", value + f", {100 * m['acc']:.1f}%"
            if "categorical_read_by_q" in r.get("codes", {}):
                figure += ", categorical code read by Q on the test digits (run chosen among seeds on validation)"
                value += f", {100 * r['codes']['categorical_read_by_q']['accuracy']:.1f}%"
            mlp = r["model"] == "gan" and r["config"]["model"].get("architecture", "mlp") == "mlp"   # before conv
            label = f"`{r['model']}`" + (" (the paper's MLPs, --preset paper)" if mlp else "")
            lines.append((r["model"], row(label, figure, value, "—", budget + seed)))
        elif r["benchmark"] == "stackgan_captions":
            ca = r["runs"]["ca"]
            match = ca["caption_match"]
            lines.append(("stackgan", row(
                "`stackgan`", "mnist-captions: Stage-II images that match their test caption by the region checker, "
                f"conditions drawn; at their means (real canvases: "
                f"{100 * r['caption_match_of_real_test_canvases']['caption_match']:.1f}%)",
                f"**{100 * match['Stage-II']['caption_match']:.1f}%**; "
                f"{100 * match['Stage-II, conditions at their means']['caption_match']:.1f}%", "—",
                f"{ca['training']['epochs']} epochs" + seed)))
    lines.sort(key=lambda line: LECTURE_ORDER.index(line[0]))
    return ["| model | figure (MNIST test split) | genzoo | published | budget |", "|---|---|---|---|---|",
            *(text for _, text in lines)]


def defaults_rows(results: Path) -> list[str]:
    """What each model's defaults give: the defaults benchmark's row per model, its length, times and scores."""
    lines = ["| model | commands | length | training | FD | recall | classes | label or caption accuracy | test "
             "log-likelihood | scoring | commit |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    path = results / "defaults.json"
    if not path.exists():
        return [*lines, row("not yet measured: `python -m benchmarks.run defaults`", *["—"] * 10)]
    for name, r in json.loads(path.read_text())["models"].items():
        m, t = r["metrics"], r["training"]
        nll = m.get("log_likelihood", {})
        likelihood = (f"{nll['value']:.2f} ± {nll['stderr']:.2f} ({nll['method']})" if "value" in nll else "—")
        classes = f"{m['classes_covered']}/{m['classes']}" if "classes_covered" in m else "—"
        accuracy = m.get("acc", m.get("caption_match"))
        lines.append(row(f"`{name}`", "`" + "`; `".join(r["commands"]) + "`",
                         f"{t['epochs']} epochs, {t['steps']:,} steps", f"{t['wall_time_s'] / 60:.1f} min",
                         f"{m['fd']:.2f}" if "fd" in m else "—", f"{m['recall']:.2f}" if "recall" in m else "—",
                         classes, f"{100 * accuracy:.1f}%" if accuracy is not None else "—", likelihood,
                         f"{r['evaluation_wall_time_s'] / 60:.1f} min",
                         f"`{short_commit(r['provenance']['commit'])}`, {r['provenance']['machine']['cores']} cores"))
    return lines


def pretrained_rows(results: Path) -> list[str]:
    """The shipped models: recipe, storage and size, and the figures of each shipped file, re-scored after export."""
    from genzoo.evaluate.suite import headline_numbers  # here: the other tables need no torch

    lines = ["| shipped model | recipe | file | FD | classes | label, caption or code accuracy | test log-likelihood "
             "| 64 samples | commit |", "|---|---|---|---|---|---|---|---|---|"]
    path = results / "pretrained.json"
    if not path.exists():
        return [*lines, row("none shipped yet: `python -m benchmarks.run pretrained`", *["—"] * 8)]
    for name, r in json.loads(path.read_text())["models"].items():
        m, w = headline_numbers(r["figures"]["metrics"]), r["weights"]
        likelihood = f"{m['log_likelihood']:.2f} ± {m['stderr']:.2f}" if "log_likelihood" in m else "—"
        size = f"{w['storage']}, {w['bytes'] / 1e6:.1f} MB" + (", networks left out" if w.get("omitted") else "")
        lines.append(row(f"`pretrained:{name}`", r["recipe"], size, f"{m['fd']:.2f}" if "fd" in m else "—",
                         f"{m['classes_covered']}/{m['classes']}" if "classes_covered" in m else "—",
                         accuracy_of_shipped(r, m), likelihood,
                         f"{r['sample_64_seconds']:.1f} s", f"`{short_commit(r['provenance']['commit'])}`"))
    return lines


def accuracy_of_shipped(r: dict, m: dict) -> str:
    """The label or caption accuracy of the shipped file's samples; for InfoGAN, whose file leaves Q out, Q's reading
    of the categorical code on the test digits, measured on its training run."""
    if "accuracy" in m:
        return f"{100 * m['accuracy']:.1f}%"
    read = ((r.get("training_run_figures") or {}).get("codes") or {}).get("categorical_read_by_q")
    return f"{100 * read['accuracy']:.1f}% (Q, on the test digits; its training run)" if read else "—"


def throughput_rows(results: Path) -> list[str]:
    """Each model's training images/s and share of the float32 matmul peak, one column pair per device measured."""
    path = results / "throughput.json"
    if not path.exists():
        return ["not yet measured: `python -m benchmarks.run throughput --device cpu|cuda`"]
    devices = json.loads(path.read_text())["by_device"]
    names = [name for name in devices[next(iter(devices))]["models"]]

    def machine(d: dict) -> str:
        m = d["provenance"]["machine"]
        return d["device"].get("name") or f"{m['cores']}-core CPU, {m['torch_threads']} threads"

    lines = [row("model (benchmark configuration)",
                 *[f"{dev}: images/s, share of the run's peak (of the peak beside its windows)" for dev in devices]),
             "|---|" + "---|" * len(devices),
             row("float32 matmul peak", *[f"{d['matmul_peak']['gflops']:,.0f} GFLOP/s ({machine(d)})"
                                          for d in devices.values()])]
    def speed(d: dict, name: str) -> str:
        m = d["models"].get(name)
        if not m:
            return "—"
        beside = f" ({100 * m['share_of_peak_beside']:.1f}%)" if "share_of_peak_beside" in m else ""
        return f"{m['images_per_s']:,.0f}, {100 * m['share_of_peak']:.1f}%{beside}"

    lines += [row(name, *[speed(d, name) for d in devices.values()]) for name in names]
    lines.append(row("AIS, 784-500 RBM, 14,500 betas x 100 chains", *[f"{d['ais_784_500']['median_s']:.1f} s"
                                                                      for d in devices.values()]))
    scaled = [label for d in devices.values() for label in d.get("scaling", {}).get("models", {})]
    lines += [row(f"{label}: images/s on 1, 2, ... data-parallel ranks", *[ranks_speeds(d, label)
                                                                            for d in devices.values()])
              for label in dict.fromkeys(scaled)]
    lines.append(row("commit, wall time", *[f"`{short_commit(d['provenance']['commit'])}`, "
                                            f"{d['provenance']['wall_time_s']:.0f} s" for d in devices.values()]))
    return lines


def ranks_speeds(measured: dict, label: str) -> str:
    """A configuration's images/s on each number of ranks (benchmarks/scaling.py), with what limited each."""
    figures = measured.get("scaling", {}).get("models", {}).get(label)
    if not figures:
        return "—"

    def one(ranks: str, f: dict) -> str:
        if "skipped" in f:
            return f"{ranks}: —"
        if "gpus" in f:
            limit = f"{f['gpus']} GPU{'s' if f['gpus'] > 1 else ''}"
        else:
            plural = "s" if f["threads_per_rank"] > 1 else ""
            limit = f"{f['threads_per_rank']} thread{plural} per rank, {f['cores']} cores"
        return f"{ranks}: {f['images_per_s']:,.0f}" + (f" (x{f['speed_up']:.2f}, {limit})" if "speed_up" in f
                                                         else f" ({limit})")

    return "; ".join(one(ranks, f) for ranks, f in figures.items())


def contention_rows(results: Path) -> list[str]:
    """Two genzoo jobs sharing the cores against one alone, under each way OpenMP's idle threads have waited."""
    path = results / "contention.json"
    if not path.exists():
        return ["not yet measured: `python -m benchmarks.contention`"]
    r = json.loads(path.read_text())
    lines = [row("setting", "jobs", "training time, median (s)", "s per step"), "|---|---|---|---|"]
    lines += [row(name, str(s["jobs"]), f"{s['median_s']:.1f}", f"{s['s_per_step']:.3f}")
              for name, s in r["settings"].items()]
    m = r["provenance"]["machine"]
    return [*lines, "", f"`{r['command']}`, median of {r['repeats']} repeats (both jobs' times when two ran); "
                        f"{m['cores']} cores, commit `{short_commit(r['provenance']['commit'])}`."]


def read_result_files(results: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(results.glob("*.json"))]


def read_results(results: Path, other_seeds: bool = True) -> list[dict]:
    """Every result, each seed of a file of several seeds on its own (only its first with ``other_seeds`` False)."""
    return [r for f in read_result_files(results)
            for r in ((f["seeds"] if other_seeds else f["seeds"][:1]) if "seeds" in f else [f])]


def replace_block(text: str, name: str, lines: list[str]) -> str:
    """``text`` with the lines between the markers <!-- name:start --> and <!-- name:end --> replaced."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        return text
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + "\n" + "\n".join(lines) + "\n" + end + tail


# the generated blocks, by marker name, in README.md and docs/results.md
BLOCKS = {"headline": headline_rows, "likelihoods": rows, "quality": quality_rows,
          "quality-seeds": lambda results: quality_rows(results, other_seeds=True), "gans": gan_rows,
          "gan-seeds": gan_seed_rows, "infogan-choice": infogan_choice_rows, "gan-modes": gan_modes_rows,
          "gan-ablation": gan_ablation_rows, "stackgan": stackgan_rows, "stackgan-seeds": stackgan_seed_rows,
          "defaults": defaults_rows, "throughput": throughput_rows, "contention": contention_rows,
          "pretrained": pretrained_rows}
DOCUMENTS = ("README.md", "docs/results.md")


def tables(results: Path, root: Path) -> dict[Path, str]:
    """Each document's text with every generated block rewritten from the results."""
    blocks = {name: make(results) for name, make in BLOCKS.items()}
    rewritten = {}
    for document in DOCUMENTS:
        text = (root / document).read_text()
        for name, lines in blocks.items():
            text = replace_block(text, name, lines)
        rewritten[root / document] = text
    return rewritten


def write_tables(results: Path, root: Path) -> None:
    for path, text in tables(results, root).items():
        path.write_text(text)


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="rewrite the results tables of README.md and docs/results.md")
    parser.add_argument("--check", action="store_true", help="change nothing; fail if a table is out of date")
    root = Path(__file__).resolve().parents[1]
    if parser.parse_args().check:
        stale = [str(path.relative_to(root)) for path, text in tables(root / "benchmarks" / "results", root).items()
                 if path.read_text() != text]
        sys.exit(f"out of date: {', '.join(stale)}; run 'python -m benchmarks.table'" if stale else 0)
    write_tables(root / "benchmarks" / "results", root)
