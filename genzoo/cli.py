"""The ``genzoo`` command: each subcommand parses, calls the library, and prints; errors are one line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch

from genzoo import config as configs
from genzoo.devices import resolve_device
from genzoo.errors import GenzooError
from genzoo.outputs import check_output, write_atomically
from genzoo.precision import PRECISIONS


def whole_number(low: int, high: int | None = None):
    """argparse type: a whole number in [low, high]."""
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {text!r}")
        return int(text)

    return parse


positive_int = whole_number(1)


def seconds(text: str) -> float:
    """argparse type: a number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds, zero or more, got {text!r}")
    return value

MAX_GRID = 10_000   # images in one sample grid; more go to a .npz
RUN_HELP = "run directory, or pretrained:NAME for a shipped model (see 'genzoo pretrained')"
THREADS_HELP = ("torch's threads (default: one per core); give 1 when other jobs share the cores (see the README's "
                "note on threads)")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line with a pointer to --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def cmd_list(args: argparse.Namespace) -> None:
    from genzoo.data import DATASETS, available_locally
    from genzoo.registry import MODELS

    print("models:")
    for name, cls in MODELS.items():
        print(f"  {name:<14} {cls.summary}")
    print("datasets:")
    for name, description in DATASETS.items():
        remote = name in ("mnist", "fashion-mnist", "mnist-captions") and not available_locally(name, args.data_dir)
        print(f"  {name:<14} {description}{' [downloads on first use]' if remote else ''}")


def cmd_train(args: argparse.Namespace) -> int:
    from genzoo import run

    out = Path(args.out or f"runs/{args.model}-{args.data.replace(':', '-').replace('/', '_')}")

    def announce(line: str) -> None:
        print(line, flush=True)

    if args.resume:
        if args.config or args.set or args.preset or args.precision or args.init:
            raise GenzooError("--config, --set, --preset, --init and --precision cannot change a run being resumed: "
                              "only --epochs and --max-steps can")
        outcome, trainer = run.resume(out, expect=(args.model, args.data), epochs=args.epochs,
                                      max_steps=args.max_steps, data_dir=args.data_dir, progress_bar=not args.quiet,
                                      device=args.device, announce=announce)
    else:
        values = configs.read_yaml(args.config) if args.config else {}
        overrides = [*args.set, *([f"train.max_steps={args.max_steps}"] if args.max_steps else []),
                     *([f"train.precision={args.precision}"] if args.precision else [])]
        cfg = run.make_run_config(args.model, args.data, values, overrides, epochs=args.epochs, preset=args.preset)
        outcome, trainer = run.train(cfg, out, data_dir=args.data_dir, progress_bar=not args.quiet, device=args.device,
                                     announce=announce, init=args.init)
    step = trainer.progress.step
    if not trainer.ranks.main:   # rank 0 of a torchrun speaks for the run
        return 130 if outcome == "interrupted" else 0
    if outcome == "interrupted":
        print(f"interrupted at step {step}: checkpoint saved in {out}; continue with: "
              f"genzoo train {args.model} --data {args.data} --out {out} --resume", file=sys.stderr)
        return 130
    print(f"finished {step} steps in {trainer.progress.elapsed:.1f} s; run saved in {out}")
    return 0


def class_index(label: str, classes: list[str]) -> int:
    """The index of a class given as its index or as its name, case ignored (7, or sneaker for fashion-mnist)."""
    if label.isdigit() and int(label) < len(classes):
        return int(label)
    names = [name.lower() for name in classes]
    if label.lower() in names:
        return names.index(label.lower())
    raise GenzooError(f"--label {label}: the run's classes are 0 to {len(classes) - 1} or their names: "
                      + ", ".join(classes))


def cmd_sample(args: argparse.Namespace) -> None:
    from genzoo.grid import save_grid, to_uint8
    from genzoo.progress import reporting, tick
    from genzoo.run import open_run
    from genzoo.samples_file import check_room, write_npz_in_chunks

    out = Path(args.out)
    if out.suffix not in (".png", ".npz"):
        raise GenzooError(f"--out {out}: write samples to a .png grid or a .npz array")
    check_output(out)
    opened = open_run(args.run, args.device)
    generator = torch.Generator().manual_seed(args.seed)   # on the CPU: the same samples on every device
    if args.text is not None or args.texts is not None:
        _sample_from_text(args, opened, generator, out)
        return
    if args.at_mean:
        raise GenzooError("--at-mean sets the conditions of captions: give --text or --texts with it")
    if args.label is not None and not opened.model.conditional:
        from genzoo.registry import names

        raise GenzooError(f"--label: {opened.config.model_name} is not a conditional model, its samples have no class "
                          f"to ask for; drop --label (conditional models: {names(lambda cls: cls.conditional)})")
    n = args.n or 64
    if out.suffix == ".png" and n > MAX_GRID:
        raise GenzooError(f"-n {n:,}: a grid of more than {MAX_GRID:,} images is too large to look at; write them to "
                          "a .npz (--out samples.npz)")
    chosen = class_index(args.label, opened.classes) if args.label is not None else None
    with_labels = opened.model.conditional

    def labels_of(start: int, count: int) -> torch.Tensor | None:
        """The labels of samples start .. start + count: the one asked for, or every class in turn."""
        if not with_labels:
            return None
        return torch.full((count,), chosen) if chosen is not None else torch.arange(start, start + count) % len(
            opened.classes)

    def label_array(start: int, count: int) -> np.ndarray:
        return np.asarray(labels_of(start, count))

    def images(start: int, count: int) -> np.ndarray:
        tick("samples drawn", start, n)
        return to_uint8(opened.model.sample(count, generator, labels_of(start, count)))

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with torch.no_grad(), reporting():
            if out.suffix == ".png":
                save_grid(opened.model.sample(n, generator, labels_of(0, n)), out)
            else:
                check_room(out, n, opened.model.image_shape, with_labels)
                write_npz_in_chunks(out, n, opened.model.image_shape, images,
                                    label_array if with_labels else None)
    except OSError as err:
        raise GenzooError(f"cannot write {out}: {err.strerror}") from None
    print(f"wrote {n} samples to {out}")


def read_texts(args: argparse.Namespace) -> list[str]:
    """The captions of --text and of --texts FILE (one a line; blank lines skipped), in that order."""
    texts = [args.text] if args.text is not None else []
    if args.texts is not None:
        try:
            lines = Path(args.texts).read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise GenzooError(f"cannot read --texts {args.texts}: {err.strerror}") from None
        except UnicodeDecodeError:
            raise GenzooError(f"--texts {args.texts} is not UTF-8 text: give a file of captions, one a line") from None
        texts += [line for line in lines if line.strip()]
        if not texts:
            raise GenzooError(f"--texts {args.texts} holds no captions: write one a line")
    return texts


def _sample_from_text(args: argparse.Namespace, opened, generator: torch.Generator, out: Path) -> None:
    """A text-conditioned model's Stage-I and Stage-II images of each caption, -n draws each (default 1)."""
    from genzoo.grid import to_uint8
    from genzoo.registry import names
    from genzoo.viz.text_to_image import caption_rows

    if not opened.model.text_conditioned:
        raise GenzooError(f"--text: {opened.config.model_name} does not draw from captions; drop --text and --texts "
                          f"(models that do: {names(lambda cls: cls.text_conditioned)})")
    if args.label is not None:
        raise GenzooError("--label is for class-conditional models: a caption says what to draw")
    texts = [text for text in read_texts(args) for _ in range(args.n or 1)]
    stage1, stage2 = opened.model.generate_from_text(texts, generator, at_mean=args.at_mean)
    if out.suffix == ".png":
        sheet = caption_rows(texts, stage1, stage2)
        write_atomically(out, lambda f: sheet.save(f, format="PNG"))
    else:
        write_atomically(out, lambda f: np.savez_compressed(f, x=to_uint8(stage2), stage1=to_uint8(stage1),
                                                            captions=np.array(texts)))
    print(f"wrote the Stage-I and Stage-II images of {len(texts)} caption{'s' if len(texts) > 1 else ''} "
          f"side by side to {out}")


class SignedGroup(argparse.Action):
    """--plus and --minus append (sign, text) to one list, so that the groups keep the order they were given in."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, [*getattr(namespace, self.dest), (self.const, values)])


def cmd_arithmetic(args: argparse.Namespace) -> None:
    from genzoo.run import open_run
    from genzoo.viz import latent_arithmetic as arithmetic

    out = Path(args.out)
    if out.suffix != ".png":
        raise GenzooError(f"--out {out}: the picture is written as a .png file")
    check_output(out)
    model = open_run(args.run, args.device).model
    if args.groups:
        groups = [(sign, arithmetic.parse_indices(text)) for sign, text in args.groups]
        picture = arithmetic.arithmetic_figure(arithmetic.latent_arithmetic(model, groups, args.seed, args.candidates))
        what = arithmetic.expression(groups)
    else:
        picture = arithmetic.candidate_sheet(model, args.candidates, args.seed)
        what = f"{args.candidates} numbered candidates"
    write_atomically(out, lambda f: picture.save(f, format="PNG"))
    print(f"wrote {what} to {out}")


def cmd_info(args: argparse.Namespace) -> None:
    from genzoo.run import num_parameters, open_run

    opened = open_run(args.run)
    cfg, p = opened.config, opened.progress
    print(f"model      {cfg.model_name} ({num_parameters(opened.model):,} parameters)")
    print(f"dataset    {cfg.dataset}, images {'x'.join(map(str, opened.record['image_shape']))}, "
          f"{len(opened.classes)} classes")
    if "machine" in opened.record:
        used = opened.record["machine"]
        print(f"machine    {used['cores']} cores, {used['torch_threads']} torch threads, {used['cpu']}")
    print(f"progress   step {p['step']}, epoch {p['epoch']} of {cfg.train.epochs}, "
          f"{p['elapsed']:.1f} s trained{', finished' if p['finished'] else ''}")
    if opened.scalars:
        print("last step  " + ", ".join(f"{k} {v:.4g}" for k, v in opened.scalars.items()))
    if opened.run_dir is None:
        print(f"shipped    {shipped_line(opened.record['weights'])}")
    if opened.figures:
        print(f"figures    {headline(opened.figures.get('metrics', {})) or 'none'}")
    for section in ("model", "train", "data"):
        for key, value, _doc in configs.describe(getattr(cfg, section), section):
            print(f"  {key} = {value}")


def shipped_line(weights: dict) -> str:
    """A shipped weights file in a few words: its file, storage, size, and what it leaves out."""
    line = f"{weights['file']}, {weights['storage']}, {weights['bytes'] / 1e6:.1f} MB"
    if weights.get("omitted"):
        line += f", without {', '.join(weights['omitted'])} ({weights['note'] or 'see its card'})"
    return line


def headline(metrics: dict) -> str:
    """The figures of an evaluation that say most, in one line."""
    from genzoo.evaluate.suite import headline_numbers

    numbers, parts = headline_numbers(metrics), []
    if "log_likelihood" in numbers:
        parts.append(f"log-likelihood {numbers['log_likelihood']:.2f} ± {numbers['stderr']:.2f} nats")
    if "fd" in numbers:
        parts.append(f"FD {numbers['fd']:.2f}")
    if "accuracy" in numbers:
        parts.append(f"{'caption match' if 'caption_match' in metrics else 'label accuracy'} "
                     f"{100 * numbers['accuracy']:.1f}%")
    if "classes_covered" in numbers:
        parts.append(f"{numbers['classes_covered']}/{numbers['classes']} classes")
    return ", ".join(parts)


def cmd_pretrained(args: argparse.Namespace) -> None:
    import genzoo.pretrained
    from genzoo.run import open_run

    names = genzoo.pretrained.names()
    if not names:
        print("no models are shipped in this copy of genzoo: 'python -m benchmarks.run pretrained' trains, exports and "
              "scores them into genzoo/pretrained/ (docs/pretrained.md)")
        return
    print("shipped models (genzoo sample pretrained:NAME -n 64 --out grid.png):")
    for name in names:
        opened = open_run(f"pretrained:{name}")
        print(f"  {name:<22} {opened.config.model_name} on {opened.config.dataset}, "
              f"{opened.record['weights']['storage']}: {headline(opened.figures.get('metrics', {})) or 'not scored'}")


def cmd_demo(args: argparse.Namespace) -> None:
    from genzoo.demo import run_demo

    device = resolve_device(args.device)
    page = run_demo(check_output(args.out, folder=True), progress_bar=not args.quiet, device=device)
    print(f"demo page written to {page}")


def cmd_report(args: argparse.Namespace) -> None:
    from genzoo.viz.report import runs_named, source, write_report

    device = resolve_device(args.device)
    out = check_output(args.out)
    sources = [source(run, device=device) for run in runs_named(args.runs, args.pretrained)]
    write_report(sources, out, args.title)
    print(f"report of {len(sources)} model{'s' if len(sources) != 1 else ''} written to {out}")


def cmd_eval(args: argparse.Namespace) -> None:
    import time

    from genzoo.evaluate import suite
    from genzoo.progress import reporting
    from genzoo.provenance import git_commit, stamp
    from genzoo.run import PRETRAINED, evaluate_on_ranks

    started, commit = time.perf_counter(), git_commit()
    metrics = suite.parse_metrics(args.metrics) if args.metrics else None
    budget = {k: v for k, v in {"k": args.k, "betas": args.betas, "chains": args.chains}.items() if v is not None}
    if args.samples:
        if args.run or not args.data:
            raise GenzooError("score a samples file with: genzoo eval --samples FILE.npz --data DATASET "
                              "(no run directory)")
        from genzoo.evaluate.features import load_feature_network

        suite.check_sample_metrics(metrics or [])
        out: Path | None = check_output(args.out or Path(args.samples).with_suffix(".eval.json"))
        images, labels = suite.read_samples(args.samples, load_feature_network(args.data, args.classifier).image_shape)
        with reporting(args.progress_every):
            result = {"samples_file": str(args.samples),
                      **suite.evaluate_sample_array(images, labels, args.data, metrics or suite.SAMPLE_METRICS,
                                                    args.seed, args.classifier, args.data_dir, floor=True,
                                                    device=resolve_device(args.device))}
    else:
        if not args.run:
            raise GenzooError("give a run directory (genzoo eval RUN) or a samples file "
                              "(--samples FILE.npz --data DATASET)")
        if args.data:
            raise GenzooError("--data is for --samples files: a run is always scored on the dataset it trained on")
        shipped = args.run.startswith(PRETRAINED)   # its figures are its card's: written only where --out says
        out = Path(args.out) if args.out else None if shipped else Path(args.run) / suite.EVAL_FILE
        if out is not None and (args.out or Path(args.run).is_dir()):   # else the run's own one-line error first
            check_output(out)
        with reporting(args.progress_every):
            on_rank_0 = evaluate_on_ranks(args.run, metrics, n=args.n, seed=args.seed, budget=budget,
                                          nll_images=args.nll_images, classifier=args.classifier,
                                          data_dir=args.data_dir, floor=True, device=args.device)
        if on_rank_0 is None:   # under torchrun rank 0 alone reports and writes
            return
        result = on_rank_0
    result["provenance"] = stamp(args.seed, started, [args.command_line], commit)
    print(suite.format_table(result["metrics"], result.get("floor")))
    if out is None:
        return
    merged = suite.save_result(result, out)
    kept = sorted(set(merged["measured"]) - set(result["metrics_asked"]))
    print(f"written to {out}" + (f" (beside the {', '.join(kept)} measured before)" if kept else ""))


def cmd_classifier(args: argparse.Namespace) -> None:
    from genzoo.data.config import DataConfig
    from genzoo.train.classifier_training import train_classifier

    device = resolve_device(args.device)
    data_cfg = configs.build(DataConfig, configs.parse_overrides(args.set, {"data": DataConfig})["data"], "data")
    out = check_output(args.out or f"classifier-{args.data.replace(':', '-').replace('/', '_')}.pt")
    check_output(out.with_suffix(".json"))
    if args.data == "mnist-captions":   # its evaluation network names the digit in each cell of a canvas
        from genzoo.train.caption_checker_training import train_region_checker
        card = train_region_checker(out, data_cfg, epochs=args.epochs, seed=args.seed, data_dir=args.data_dir,
                                    command=args.command_line, log=print if not args.quiet else lambda _: None,
                                    device=device)
        print(f"test cell accuracy {card['test_cell_accuracy']:.4f}, caption match of test canvases "
              f"{card['test_caption_match']:.4f}; region checker written to {out} (card: {out.with_suffix('.json')})")
        return
    card = train_classifier(args.data, out, data_cfg, epochs=args.epochs, seed=args.seed, data_dir=args.data_dir,
                            command=args.command_line, log=print if not args.quiet else lambda _: None,
                            device=device)
    print(f"test accuracy {card['test_accuracy']:.4f}; feature network written to {out} "
          f"(card: {out.with_suffix('.json')})")


def cmd_captions(args: argparse.Namespace) -> None:
    from genzoo.data import load_dataset
    from genzoo.data.captions import write_captioned_images
    from genzoo.data.config import DataConfig

    check_output(args.out, folder=True)
    split = getattr(load_dataset("mnist-captions", DataConfig(seed=args.seed), args.data_dir), args.split)
    n = write_captioned_images(split, Path(args.out), args.n)
    print(f"wrote {n} {args.split} canvases and their captions (captions.txt, captions.jsonl) to {args.out}")


def cmd_text_encoder(args: argparse.Namespace) -> None:
    from genzoo.data import load_dataset
    from genzoo.data.config import DataConfig
    from genzoo.nn.joint_embedding import TextEncoderConfig, save_text_encoder, train_text_encoder

    cfg = configs.build(TextEncoderConfig, configs.parse_overrides(args.set, {"text": TextEncoderConfig})["text"],
                        "text")
    device = resolve_device(args.device)
    check_output(args.out)
    dataset = load_dataset("mnist-captions", DataConfig(seed=args.data_seed), args.data_dir)
    encoder, report = train_text_encoder(dataset, cfg, args.seed, log=print if not args.quiet else lambda _: None,
                                         device=device)
    report["command"] = args.command_line
    save_text_encoder(Path(args.out), encoder, report)
    quality = report["validation"]
    print(f"trained in {report['wall_time_s']:.0f} s; validation text-to-image top-1 among {quality['candidates']} "
          f"{quality['text_to_image_top1']:.3f}; text encoder written to {args.out}")


def cmd_serve(args: argparse.Namespace) -> None:
    from genzoo.serve import serve

    serve(args.sources, args.host, args.port, args.toy)


def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="where the model runs: auto (CUDA when present, else the "
                                                         "CPU), cpu, cuda, cuda:N or mps")


def build_parser() -> argparse.ArgumentParser:
    from genzoo.registry import names
    from genzoo.version import __version__
    from genzoo.viz.latent_arithmetic import decodes_latent_alone

    parser = _Parser(prog="genzoo", description="Classic deep generative models, trained and measured on a CPU.")
    parser.add_argument("--version", action="version", version=f"genzoo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="models and datasets")
    p.add_argument("--data-dir", help="directory holding the datasets' IDX files")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("train", help="train a model; Ctrl-C saves a checkpoint, --resume continues")
    p.add_argument("model", help="model name (see 'genzoo list')")
    p.add_argument("--data", required=True, help="mnist, fashion-mnist, digits or folder:PATH")
    p.add_argument("--epochs", type=positive_int, help="passes over the training split (default: the model's own, "
                                                        "see docs/models.md)")
    p.add_argument("--preset", help="named settings over the model's defaults, e.g. paper: the paper's networks where "
                                    "the defaults leave them (see docs/models.md)")
    p.add_argument("--max-steps", type=positive_int, help="stop after this many steps in all")
    p.add_argument("--out", help="run directory (default runs/MODEL-DATA)")
    p.add_argument("--config", help="YAML file with model:, train: and data: sections")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config value, e.g. --set model.latent_dim=20 (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--init", metavar="SOURCE", help="fine-tune: start from the weights of a run directory or "
                                                    "pretrained:NAME (same model and sizes; optimizers and schedules "
                                                    "start afresh)")
    p.add_argument("--data-dir", help="directory holding the datasets' IDX files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--precision", choices=PRECISIONS, help="32 (float32, the default), bf16, or 16-mixed (CUDA): "
                                                          "autocast over the forward passes of the models trained by "
                                                          f"autograd ({names(lambda cls: cls.mixed_precision)})")
    p.add_argument("--threads", type=positive_int, help=THREADS_HELP)
    add_device_option(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="draw samples from a trained run")
    p.add_argument("run", help=RUN_HELP)
    p.add_argument("-n", type=positive_int, help="number of samples (default 64; with --text, draws per caption, "
                                                 "default 1)")
    p.add_argument("--out", required=True, help="grid.png or samples.npz (x: uint8 N,C,H,W; labels if conditional; "
                                                "with --text, stage1 and captions too)")
    p.add_argument("--seed", type=whole_number(0, configs.MAX_SEED), default=0)
    p.add_argument("--label", help="a conditional model's class for every sample, by index or name (7, sneaker); "
                                   "default: every class in turn")
    text_models = names(lambda cls: cls.text_conditioned)
    p.add_argument("--text", help=f"a caption for a text-conditioned model ({text_models}), e.g. 'the digit three is "
                                  "at the bottom right': its Stage-I and Stage-II images side by side")
    p.add_argument("--texts", metavar="FILE", help="a UTF-8 file of captions, one a line, each drawn as --text is")
    p.add_argument("--at-mean", action="store_true", help="with --text: each stage's condition at the mean of its "
                                                          "Conditioning Augmentation, not drawn (closer to the "
                                                          "caption, less varied)")
    p.add_argument("--threads", type=positive_int, help=THREADS_HELP)
    add_device_option(p)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("arithmetic", help="latent vector arithmetic (Radford et al. 2015, Figure 7): without groups, "
                                          "a numbered sheet of candidates to choose from")
    p.add_argument("run", help=f"run directory or pretrained:NAME of a model with a latent z "
                               f"({names(decodes_latent_alone)})")
    p.add_argument("--candidates", type=positive_int, default=64, help="samples drawn to choose from, numbered from 0")
    p.add_argument("--seed", type=whole_number(0, configs.MAX_SEED), default=0,
                   help="the draws' seed, as in 'genzoo sample'; keep it between the sheet and the arithmetic")
    p.add_argument("--plus", dest="groups", action=SignedGroup, const=1, default=[], metavar="I,J,K",
                   help="add the mean z of these candidates (repeatable; groups are combined in the order given)")
    p.add_argument("--minus", dest="groups", action=SignedGroup, const=-1, default=[], metavar="I,J,K",
                   help="subtract the mean z of these candidates")
    p.add_argument("--out", required=True, help="the .png to write: the sheet, or each group, its mean and the result")
    add_device_option(p)
    p.set_defaults(func=cmd_arithmetic)

    p = sub.add_parser("info", help="what a run is and how far it got")
    p.add_argument("run", help=RUN_HELP)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("pretrained", help="the trained models genzoo ships, with their figures")
    p.set_defaults(func=cmd_pretrained)

    p = sub.add_parser("eval", help="score a run (or a file of samples): FD, KID, precision/recall, "
                                    "log-likelihood, ...")
    p.add_argument("run", nargs="?", help=RUN_HELP)
    p.add_argument("--metrics", help="comma-separated, from: fd, kid, pr, dc, cs, acc, modes, mem, nll, and match for "
                                     "stackgan (or all); default: all that apply")
    p.add_argument("-n", type=whole_number(10, 1_000_000), default=10_000, help="samples to draw and score")
    p.add_argument("--samples", help="an .npz with x (N,C,H,W uint8 or floats in [0,1]) and optional labels, "
                                     "from genzoo or any other library")
    p.add_argument("--data", help="the dataset a --samples file is scored against")
    p.add_argument("--k", type=positive_int, help="importance samples for the IWAE bound (default 1000)")
    p.add_argument("--betas", type=positive_int, help="AIS intermediate distributions (default 14500)")
    p.add_argument("--chains", type=positive_int, help="AIS chains (default 100)")
    p.add_argument("--nll-images", type=positive_int, help="score the likelihood on the first N test images only")
    p.add_argument("--seed", type=whole_number(0, configs.MAX_SEED), default=0)
    p.add_argument("--classifier", help="a feature network from 'genzoo classifier' (default: the shipped one)")
    p.add_argument("--out", help="JSON file for the results (default RUN/eval.json or FILE.eval.json; for "
                                 "pretrained:NAME none unless given)")
    p.add_argument("--progress-every", type=seconds, default=30.0, metavar="SECONDS",
                   help="seconds between progress lines on stderr within a long estimator (AIS, IWAE); each metric "
                        "says when it starts")
    p.add_argument("--data-dir", help="directory holding the datasets' IDX files")
    p.add_argument("--threads", type=positive_int, help=THREADS_HELP)
    add_device_option(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("report", help="one self-contained HTML page of runs or shipped models: a table across them, "
                                      "samples, curves and the lecture's figures")
    p.add_argument("runs", nargs="*", metavar="RUN_OR_PRETRAINED",
                   help="run directories, folders of run directories, or pretrained:NAME")
    p.add_argument("--pretrained", action="store_true", help="every model genzoo ships")
    p.add_argument("--out", default="report.html", help="the page to write (default report.html)")
    p.add_argument("--title", default="genzoo report", help="the page's heading")
    p.add_argument("--threads", type=positive_int, help=THREADS_HELP)
    add_device_option(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("classifier", help="train the feature network that 'genzoo eval' uses for a dataset")
    p.add_argument("--data", required=True, help="mnist, fashion-mnist, digits or folder:PATH")
    p.add_argument("--out", help="weights file (default classifier-DATA.pt; its card is written beside it as .json)")
    p.add_argument("--epochs", type=positive_int, default=15)
    p.add_argument("--seed", type=whole_number(0, configs.MAX_SEED), default=0)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a data setting, e.g. --set image_size=64 --set channels=3 for a folder: dataset")
    p.add_argument("--data-dir", help="directory holding the datasets' IDX files")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    add_device_option(p)
    p.set_defaults(func=cmd_classifier)

    p = sub.add_parser("captions", help="write mnist-captions canvases as PNGs with captions.txt and captions.jsonl")
    p.add_argument("--out", required=True, help="directory for NNNNN.png, captions.txt and captions.jsonl")
    p.add_argument("-n", type=positive_int, default=100, help="the first N canvases of the split")
    p.add_argument("--split", choices=("train", "validation", "test"), default="test")
    p.add_argument("--seed", type=whole_number(0, configs.MAX_SEED), default=0, help="the dataset's data.seed")
    p.add_argument("--data-dir", help="directory holding MNIST's IDX files")
    p.set_defaults(func=cmd_captions)

    p = sub.add_parser("text-encoder", help="train the caption encoder StackGAN conditions on (a joint image-text "
                                            "embedding, Reed et al. 2016) on mnist-captions")
    p.add_argument("--out", required=True, help="the encoder's file, with its vocabulary and training report")
    p.add_argument("--seed", type=whole_number(0, configs.MAX_SEED), default=0, help="initial weights and batch order")
    p.add_argument("--data-seed", type=whole_number(0, configs.MAX_SEED), default=0, help="the dataset's data.seed")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a text encoder setting, e.g. --set epochs=5 --set embedding_dim=64")
    p.add_argument("--data-dir", help="directory holding MNIST's IDX files")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    add_device_option(p)
    p.set_defaults(func=cmd_text_encoder)

    p = sub.add_parser("serve", help="a local web page over runs: samples, latent sliders, interpolation, codes, "
                                     "text, Gibbs chains with clamping, drawing; --toy: a GAN training live on 2-D "
                                     "points (needs pip install \"genzoo[serve]\")")
    p.add_argument("sources", nargs="*", metavar="RUN_OR_PRETRAINED",
                   help="run directories, or pretrained:NAME for a shipped model")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: this machine only)")
    p.add_argument("--port", type=whole_number(1, 65535), default=8000)
    p.add_argument("--toy", action="store_true", help="also serve /toy: gan, wgan and wgan-gp trained on the ring of "
                                                      "8 or the grid of 25 Gaussians in front of you")
    p.add_argument("--threads", type=positive_int, help=THREADS_HELP)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="train six models briefly on the bundled digits, score them; write a page")
    p.add_argument("--out", default="demo", help="directory for the runs and index.html")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_device_option(p)
    p.set_defaults(func=cmd_demo)
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.command_line = " ".join(["genzoo", *argv])   # recorded beside results
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    in_main_thread = threading.current_thread() is threading.main_thread()   # signals only work there
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None   # as Ctrl-C: cleaned up
    try:
        return args.func(args) or 0
    except GenzooError as err:
        print(f"genzoo: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"genzoo: error: 'genzoo {args.command}' was interrupted before it finished; run it again to complete "
              "it", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
