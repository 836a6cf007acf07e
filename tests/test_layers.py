"""genzoo's layers: every import, at module level or inside a function, runs down one declared order, with no cycle.

The order is declared once, below, and docs/architecture.md shows it as a table that this test keeps current:
``python tests/test_layers.py`` rewrites that table after a change to :data:`LAYERS`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "genzoo"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- layers: begin (tests/test_layers.py) -->", "<!-- layers: end -->"

# Bottom to top: a module may import its own layer and the layers before it, never one after it.
LAYERS: list[tuple[str, tuple[str, ...], str]] = [
    ("foundation", ("genzoo.version", "genzoo.errors", "genzoo.config", "genzoo.provenance", "genzoo.seeding",
                    "genzoo.checkpoint", "genzoo.grid", "genzoo.progress", "genzoo.samples_file", "genzoo.outputs",
                    "genzoo.devices", "genzoo.parallel", "genzoo.precision", "genzoo.weights_file",
                    "genzoo.pretrained"),
     "the version, errors, options and YAML configs, provenance stamps, seeds, atomic checkpoints, PNG grids, "
     "progress lines, samples files written in chunks, output files checked first and written whole, devices, "
     "the collectives of data-parallel training, mixed precision, weights files with their cards, and the folder of "
     "shipped models"),
    ("data", ("genzoo.data",), "IDX files with checksums, the dataset catalogue, captions, binarization"),
    ("nn", ("genzoo.nn",), "pieces several models share: conv stacks, RBM and DBM energies, contrastive "
                           "divergence, the text encoder and its joint embedding, ..."),
    ("likelihood", ("genzoo.likelihood",), "`Estimate`, exact enumeration, AIS, IWAE: what a model's "
                                           "`log_likelihood` returns"),
    ("models", ("genzoo.models", "genzoo.registry"), "one file per paper, and the registry of names"),
    ("evaluate", ("genzoo.evaluate",), "sample metrics (FD, KID, precision/recall, ...), feature networks, the suite"),
    ("train", ("genzoo.train",), "the loop, and the supervised training of the evaluation networks"),
    ("run", ("genzoo.run", "genzoo.export", "genzoo.toy"), "a run directory: its config, training, reopening and "
                                                           "evaluating it; a shipped model opened as a run, and a run "
                                                           "exported as one; a GAN trained on 2-D points one update "
                                                           "at a time"),
    ("viz", ("genzoo.viz",), "plots (matplotlib, inline SVG), interpolation, latent arithmetic, text-to-image grids, "
                             "the HTML report"),
    ("serve", ("genzoo.serve",), "the local web explorer of 'genzoo serve': its model work, its routes, its page"),
    ("entry points", ("genzoo.demo", "genzoo.cli", "genzoo.__main__", "genzoo.api", "genzoo"),
     "the demo, the command line, and the public API (`genzoo.load`, `genzoo.evaluate`) that the package exports"),
]

# The hard rule, stated on its own so that a change of LAYERS cannot quietly drop it.
MODELS_MUST_NOT_IMPORT = ("genzoo.evaluate", "genzoo.train", "genzoo.viz", "genzoo.run", "genzoo.cli", "genzoo.demo")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The genzoo modules a module's source imports anywhere in it; ``from P import m`` counts as P.m when m is a
    module."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                found.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(ast.parse(path.read_text(), str(path)), set(known)) - {name}
            for name, path in known.items()}


def layer_of(module: str) -> int:
    """The index in LAYERS of the longest prefix that names ``module`` or a package above it."""
    best, length = None, -1
    for index, (_, prefixes, _) in enumerate(LAYERS):
        for prefix in prefixes:
            # the package itself is the public API at the top; its modules each have their own layer
            below = module.startswith(prefix + ".") and prefix != "genzoo"
            if (module == prefix or below) and len(prefix) > length:
                best, length = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
    return best


def upward_imports(graph: dict[str, set[str]], layer=layer_of) -> list[str]:
    return [f"{module} ({LAYERS[layer(module)][0]}) imports {target} ({LAYERS[layer(target)][0]})"
            for module, targets in sorted(graph.items()) for target in sorted(targets) if layer(target) > layer(module)]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None: a depth-first search that meets a module still on its path."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def layers_table() -> str:
    rows = ["| layer | modules | what it holds |", "|---|---|---|"]
    for name, prefixes, what in reversed(LAYERS):
        paths = ", ".join(f"`{prefix.replace('.', '/')}{'/' if (ROOT / prefix.replace('.', '/')).is_dir() else '.py'}`"
                          if prefix != "genzoo" else "`genzoo/__init__.py`" for prefix in prefixes)
        rows.append(f"| {name} | {paths} | {what} |")
    return "\n".join(rows)


def documented_block() -> str:
    text = ARCHITECTURE.read_text()
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip()


def test_the_checks_catch_a_cycle_and_an_upward_import_on_a_made_up_graph():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    layers = {"low": 0, "high": 1}
    assert upward_imports({"low": {"high"}, "high": {"low"}}, layers.__getitem__) == [
        f"low ({LAYERS[0][0]}) imports high ({LAYERS[1][0]})"]


def test_function_local_imports_count():
    tree = ast.parse("def f():\n    from genzoo.evaluate import suite\n    import genzoo.viz\n")
    assert imported(tree, {"genzoo.evaluate", "genzoo.evaluate.suite", "genzoo.viz"}) == {"genzoo.evaluate.suite",
                                                                                          "genzoo.viz"}


def test_no_import_cycle_in_genzoo():
    assert find_cycle(import_graph()) is None


def test_every_import_runs_down_the_layers():
    assert upward_imports(import_graph()) == []


def test_models_import_nothing_from_evaluate_train_viz_run_or_cli():
    graph = import_graph()
    assert [(module, target) for module, targets in sorted(graph.items()) if LAYERS[layer_of(module)][0] == "models"
            for target in sorted(targets) if target.startswith(MODELS_MUST_NOT_IMPORT)] == []


def test_architecture_page_shows_the_declared_layers():
    assert documented_block() == layers_table(), "docs/architecture.md is stale: run python tests/test_layers.py"


if __name__ == "__main__":
    text = ARCHITECTURE.read_text()
    ARCHITECTURE.write_text(text[:text.index(BEGIN) + len(BEGIN)] + "\n\n" + layers_table() + "\n\n"
                            + text[text.index(END):])
