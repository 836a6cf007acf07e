"""genzoo serve: the explorer's model work, its API through Starlette's TestClient, and its pages in a headless
chromium, on tiny runs of each kind of model made once for the module."""

from __future__ import annotations

import json
import math
import os
import threading
import time
import warnings
from pathlib import Path

import pytest
import torch
from test_cgan import TINY_CGAN
from test_stackgan import TINY_STACKGAN, tiny_captioned

from genzoo import run
from genzoo.evaluate.toy2d import grid25
from genzoo.nn.clamped_gibbs import clamped_gibbs
from genzoo.run import make_run_config
from genzoo.toy import ToyGame
from genzoo.viz.interpolation import interpolate
from tests.conftest import TINY

starlette = pytest.importorskip("starlette", reason='genzoo serve needs its extra: pip install "genzoo[serve]"')
with warnings.catch_warnings():   # newer Starlette would rather drive httpx2; httpx serves the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

from genzoo.serve import in_background  # noqa: E402
from genzoo.serve.app import make_app  # noqa: E402
from genzoo.serve.explorer import open_sources  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = os.environ.get("GENZOO_WRITE_SCREENSHOTS") == "1"
# one run of each kind of panel: latent (gan, vae), label (cgan), codes (infogan), text (stackgan), gibbs (rbm, dbm,
# dbn), reconstruct (vae, helmholtz, rbm)
# a tiny infogan's images stay within a grey level of 0.5 for hundreds of steps at its paper's rates; at these its
# codes move the pixels by tens of levels within 20 steps, so that a slider visibly changes the picture
CODES_SHOW = ["model.generator_lr=0.02", "model.discriminator_lr=0.02", "train.max_steps=20"]
KINDS = {"gan": TINY["gan"], "vae": TINY["vae"], "cgan": TINY_CGAN["conv"], "infogan": [*TINY["infogan"], *CODES_SHOW],
         "rbm": TINY["rbm"], "dbm": TINY["dbm"], "dbn": TINY["dbn"], "helmholtz": TINY["helmholtz"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Each kind trained for a few steps on digits (stackgan on tiny captions), once for the module."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("serve")
    made = {}
    for model, tiny in KINDS.items():
        cfg = make_run_config(model, "digits", overrides=["train.max_steps=4", "train.log_every=1",
                                                          "train.sample_every=100000", *tiny])
        run.train(cfg, root / model, progress_bar=False)
        made[model] = root / model
    with pytest.MonkeyPatch.context() as patch:
        data = tiny_captioned()
        patch.setattr(run, "load_dataset", lambda name, cfg, data_dir=None: data)
        cfg = make_run_config("stackgan", "mnist-captions", overrides=[*TINY_STACKGAN, "train.max_steps=2"])
        run.train(cfg, root / "stackgan", progress_bar=False)
        made["stackgan"] = root / "stackgan"
    (made["gan"] / "eval.json").write_text(json.dumps({"metrics": {"fd": 12.5}}))
    return made


@pytest.fixture(scope="module")
def client(runs):
    with TestClient(make_app([str(path) for path in runs.values()], toy=True)) as test_client:
        yield test_client


def test_interpolation_ends_at_both_latents_and_slerp_keeps_the_norm_of_orthogonal_unit_vectors():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    for kind in ("linear", "spherical"):
        path = interpolate(a, b, 5, kind)
        assert torch.allclose(path[0], a) and torch.allclose(path[-1], b)
    assert torch.allclose(interpolate(a, b, 5, "spherical").norm(dim=1), torch.ones(5), atol=1e-6)
    assert torch.allclose(interpolate(a, b, 3, "spherical")[1], torch.tensor([1.0, 1.0]) / math.sqrt(2))
    assert interpolate(a, b, 3, "linear")[1].norm() == pytest.approx(math.sqrt(0.5))


def test_clamped_gibbs_holds_the_clamped_pixels_and_samples_the_rest():
    def sweep(v):   # a sweep that turns every pixel on
        return torch.ones_like(v), torch.full_like(v, 0.9)
    v = torch.tensor([[0.0, 1.0, 0.0, 0.0]])
    clamped = torch.tensor([[True, True, False, False]])
    state, mean = clamped_gibbs(sweep, v, clamped, 3)
    assert state.tolist() == [[0.0, 1.0, 1.0, 1.0]]
    assert torch.allclose(mean, torch.tensor([[0.0, 1.0, 0.9, 0.9]]))


def test_capabilities_follow_the_members_a_model_defines():
    from genzoo.registry import MODELS
    expected = {"gan": {"latent", "two_players"}, "dcgan": {"latent", "two_players"},
                "wgan": {"latent", "two_players"}, "wgan-gp": {"latent", "two_players"},
                "vae": {"latent", "reconstruct"}, "cgan": {"label", "two_players"}, "infogan": {"latent", "codes"},
                "stackgan": {"text"}, "rbm": {"gibbs", "reconstruct"}, "dbm": {"gibbs"}, "dbn": {"gibbs"},
                "helmholtz": {"reconstruct"}}
    assert {name: set(cls.capabilities()) for name, cls in MODELS.items()} == expected


def test_the_split_gan_step_composes_into_train_step():
    """train_step is the discriminator step then the generator step on the same fakes: the same updates as calling
    them by hand with the fakes drawn the same way."""
    cfg = make_run_config("gan", "digits", overrides=TINY["gan"])
    first, second = (run.build_model(cfg, (1, 8, 8), 10) for _ in range(2))
    x, y = torch.rand(6, 1, 8, 8), torch.zeros(6, dtype=torch.long)
    torch.manual_seed(1)
    whole = first.train_step(x, y)
    torch.manual_seed(1)
    fake = second.generate(second.noise(6), y)
    by_hand = {**second.discriminator_step(x, y, fake.detach()), **second.generator_step(x, y, fake)}
    assert whole == pytest.approx(by_hand)
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)


def test_the_split_wgan_step_is_n_critic_critic_steps_then_a_generator_step():
    cfg = make_run_config("wgan", "digits", overrides=[*TINY["wgan"], "model.critic_steps=3"])
    first, second = (run.build_model(cfg, (1, 8, 8), 10) for _ in range(2))
    x, y = torch.rand(9, 1, 8, 8), torch.zeros(9, dtype=torch.long)
    torch.manual_seed(2)
    whole = first.train_step(x, y)
    torch.manual_seed(2)
    critic = [second.discriminator_step(part, y) for part in x.tensor_split(3)]
    generator = second.generator_step(x[:3], y)
    assert whole == pytest.approx({**critic[-1], **generator})
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)
    assert max(p.abs().max().item() for p in second.critic.parameters()) <= cfg.model.clip


def test_the_toy_game_trains_and_its_coverage_is_measured_on_the_target():
    game = ToyGame("gan", grid25(), ["model.generator_hidden=[16]", "model.discriminator_hidden=[16]",
                                     "model.latent_dim=2"], seed=0)
    before = [p.clone() for p in game.model.parameters()]
    game.discriminator_step()
    game.generator_step()
    game.train_step()
    assert (game.generator_updates, game.discriminator_updates) == (2, 2)
    assert any(not torch.equal(a, b) for a, b in zip(before, game.model.parameters()))
    assert game.score()["modes"] == 25 and game.value_map(8).shape == (8, 8)
    assert game.warp(lines=3, points=5).shape == (6, 5, 2)


# --- the API -------------------------------------------------------------------------------------------------------

def test_the_model_list_gives_each_its_panels(client):
    models = {m["id"]: m for m in client.get("/api/models").json()["models"]}
    assert set(models) == {*KINDS, "stackgan"}
    assert "codes" in models["infogan"]["capabilities"] and models["infogan"]["codes"]["continuous"] == 2
    assert models["cgan"]["classes"][:3] == ["0", "1", "2"]
    assert "three" in models["stackgan"]["vocabulary"]


def test_a_run_gives_its_config_numbers_and_curves(client):
    record = client.get("/api/models/gan/run").json()
    assert record["config"]["model_name"] == "gan" and record["figures"] == {"metrics": {"fd": 12.5}}
    assert "<svg" in record["curves"] and record["records"] >= 4


def test_samples_follow_the_seed_and_a_cgan_label(client):
    one, again = (client.get("/api/models/gan/samples?seed=3&n=4").json()["images"] for _ in range(2))
    assert one == again and len(one) == 4 and one[0].startswith("data:image/png;base64,")
    assert client.get("/api/models/gan/samples?seed=4&n=4").json()["images"] != one
    assert len(client.get("/api/models/cgan/samples?label=7&n=2").json()["images"]) == 2


def test_latent_sliders_interpolation_and_arithmetic(client):
    base = client.get("/api/models/vae/latent?seed=1&index=2").json()["image"]
    moved = client.get("/api/models/vae/latent?seed=1&index=2&offsets=0:3").json()["image"]
    assert base != moved
    path = client.get("/api/models/gan/interpolate?seed=1&a=0&b=5&steps=6&kind=spherical").json()["images"]
    sheet = client.get("/api/models/gan/latent?seed=1").json()["sheet"]
    assert len(path) == 6 and path[0] == sheet[0] and path[-1] == sheet[5]
    result = client.get("/api/models/gan/arithmetic?seed=1&plus=1,2&minus=3").json()
    assert len(result["neighbours"]) == 8 and len(result["means"]) == 2


def test_codes_text_gibbs_and_reconstruction(client):
    one = client.get("/api/models/infogan/codes?seed=0&n=2&codes=0:3,1:-2").json()["images"]
    assert one != client.get("/api/models/infogan/codes?seed=0&n=2&codes=0:3,1:2").json()["images"]
    answer = client.get("/api/models/stackgan/text", params={"text": "a 7 at the top left zebra"}).json()
    assert answer["unknown"] == ["zebra"] and len(answer["stage1"]) == len(answer["stage2"]) == 4
    pixels, clamped = [1.0] * 32 + [0.0] * 32, [1.0] * 8 + [0.0] * 56
    for model in ("rbm", "dbm", "dbn"):
        state = client.post(f"/api/models/{model}/gibbs", json={"pixels": pixels, "clamped": clamped,
                                                                "sweeps": 3, "seed": 1}).json()
        assert state["pixels"][:8] == [1.0] * 8 and len(state["mean"]) == 64
    for model in ("vae", "helmholtz", "rbm"):
        answer = client.post(f"/api/models/{model}/reconstruct", json={"pixels": pixels}).json()
        assert math.isfinite(answer["log_likelihood"]) and answer["log_likelihood"] < 0 and len(answer["pixels"]) == 64


@pytest.mark.parametrize("request_, status, message", [
    (("get", "/api/models/nothing/samples"), 404, "no model 'nothing'"),
    (("get", "/api/models/..%2F..%2Fetc%2Fpasswd/samples"), 404, "Not Found"),
    (("get", "/api/models/gan/samples?n=0"), 400, "'n'=0 is out of range"),
    (("get", "/api/models/gan/samples?seed=x"), 400, "must be a whole number"),
    (("get", "/api/models/gan/latent?offsets=99:1"), 400, "INDEX 0 to 3"),
    (("get", "/api/models/gan/latent?offsets=0:nan"), 400, "out of range"),
    (("get", "/api/models/gan/interpolate?kind=cubic"), 400, "choose linear, spherical"),
    (("get", "/api/models/gan/codes"), 400, "no 'codes' panel"),
    (("get", "/api/models/gan/arithmetic?plus="), 400, "at least one sample"),
    (("get", "/api/models/infogan/codes?codes=0:1.5"), 400, "categorical"),
    (("get", "/api/models/stackgan/text?text=%20%20"), 400, "has no words"),
    (("post", "/api/models/rbm/gibbs", {"pixels": [0.0] * 10, "clamped": [0.0] * 10}), 400,
     "image's 64 pixels, got 10"),
    (("post", "/api/models/vae/reconstruct", {"pixels": [2.0] * 64}), 400, "a number in [0, 1]"),
    (("get", "/api/models/gan/nothing"), 404, "no action"),
    (("get", "/static/../../../etc/passwd"), 404, ""),
    (("get", "/static/%2e%2e/explorer.py"), 404, ""),
    (("post", "/api/toy", {"model": "vae"}), 400, "choose gan, wgan, wgan-gp"),
    (("post", "/api/toy", {"target": "points", "points": [[99, 0]]}), 400, "within"),
    (("post", "/api/toy/999"), 404, "no toy game"),
])
def test_bad_requests_get_a_4xx_with_one_line(client, request_, status, message):
    method, url, *body = request_
    response = client.request(method.upper(), url, json=body[0] if body else None)
    assert response.status_code == status
    if message:
        assert message in response.json()["error"] and "\n" not in response.json()["error"]


def test_the_server_reads_nothing_but_its_static_files(client, runs):
    assert client.get("/static/app.js").status_code == 200
    assert client.get(f"/static/{runs['gan']}/config.yaml").status_code == 404


def test_a_slow_request_holds_only_its_own_model(client, runs):
    """While one thread holds the rbm's lock, a request on the gan is answered."""
    app_models = open_sources([str(runs["rbm"]), str(runs["gan"])])
    with TestClient(make_app(served=app_models)) as own:
        app_models["rbm"].lock.acquire()
        try:
            started = time.perf_counter()
            waiting = threading.Thread(target=own.get, args=("/api/models/rbm/samples?n=1",), daemon=True)
            waiting.start()
            assert own.get("/api/models/gan/samples?n=1").status_code == 200
            assert time.perf_counter() - started < 5 and waiting.is_alive()
        finally:
            app_models["rbm"].lock.release()
        waiting.join(10)


def test_toy_games_step_each_player_and_track_coverage(client):
    state = client.post("/api/toy", json={"model": "wgan-gp", "target": "ring8", "seed": 0}).json()
    assert state["generator_updates"] == 0 and state["score"]["modes"] == 8
    state = client.post(f"/api/toy/{state['id']}", json={"kind": "discriminator", "steps": 2}).json()
    assert (state["generator_updates"], state["discriminator_updates"]) == (0, 2)
    state = client.post(f"/api/toy/{state['id']}", json={"kind": "train", "steps": 1}).json()
    assert state["generator_updates"] == 1 and len(state["history"]) == 3
    assert len(state["value_map"]["values"]) == 32 * 32 and len(state["fake"]) == 500
    clicked = client.post("/api/toy", json={"model": "gan", "target": "points", "points": [[1, 1], [-2, 0]]}).json()
    assert clicked["score"]["modes"] == 2


def test_a_host_other_than_loopback_is_said_in_one_line(monkeypatch, capsys):
    import uvicorn

    from genzoo.cli import main
    listened = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, log_level: listened.append((host, port)))
    assert main(["serve", "--toy", "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert listened == [("0.0.0.0", 8123)]
    assert "reachable from other machines" in capsys.readouterr().out.splitlines()[0]
    assert main(["serve", "--toy"]) == 0
    assert "reachable" not in capsys.readouterr().out


def test_without_the_extra_the_command_says_how_to_install_it(monkeypatch, capsys):
    import builtins

    from genzoo.cli import main
    real_import = builtins.__import__

    def no_uvicorn(name, *args, **kwargs):
        if name == "uvicorn":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvicorn)
    assert main(["serve", "--toy"]) == 2
    assert 'pip install "genzoo[serve]"' in capsys.readouterr().err


# --- the pages in a headless chromium ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live(runs):
    """The explorer served by uvicorn on a free loopback port, in a thread, for the module's page tests."""
    with in_background(make_app([str(path) for path in runs.values()], toy=True)) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh page whose console errors and uncaught exceptions are collected in page.errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.errors = []
    opened.on("console", lambda message: message.type == "error" and opened.errors.append(message.text))
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()


def screenshot(page, name: str, selector: str = "main") -> None:
    """docs/img/serve-NAME.png of the element, written only when GENZOO_WRITE_SCREENSHOTS=1."""
    if SCREENSHOTS:
        page.locator(selector).screenshot(path=str(ROOT / "docs" / "img" / f"serve-{name}.png"))


def ready(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)


PANELS = {"gan": "#latent-panel", "cgan": "#label-panel", "infogan": "#codes-panel", "stackgan": "#text-panel",
          "rbm": "#gibbs-panel", "dbm": "#gibbs-panel", "dbn": "#gibbs-panel", "vae": "#reconstruct-panel",
          "helmholtz": "#reconstruct-panel"}


def test_the_page_loads_for_every_kind_with_its_panel_and_no_console_error(live, page):
    for model, panel in PANELS.items():
        ready(page, f"{live}/?model={model}")
        assert page.is_visible(panel), model
        assert page.is_visible("#curves svg"), model
    ready(page, f"{live}/?model=gan&seed=2&offsets=0:1.5")
    assert page.input_value("#seed") == "2" and page.input_value("#sliders input[data-dim='0']") == "1.5"
    if SCREENSHOTS:
        for model, view in {"gan": "plus=1,2&minus=3&offsets=0:2,1:-1.5", "cgan": "label=3",
                            "stackgan": "text=a 7 at the top left and a zebra"}.items():
            ready(page, f"{live}/?model={model}&{view}")
            screenshot(page, model, "main" if model == "gan" else PANELS[model])
        ready(page, f"{live}/?model=vae")
        box = page.locator("#draw-canvas").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 20)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 20, steps=10)
        page.mouse.up()
        page.wait_for_function("document.querySelector('#likelihood').textContent !== ''")
        screenshot(page, "vae", PANELS["vae"])
    assert page.errors == []


def test_moving_an_infogan_slider_changes_the_image_and_the_url(live, page):
    ready(page, f"{live}/?model=infogan")
    before = page.get_attribute("#codes-images img", "src")
    page.eval_on_selector("#code-1", "s => { s.value = '2.5'; s.dispatchEvent(new Event('input')); }")
    page.wait_for_function("before => document.querySelector('#codes-images img').src !== before", arg=before)
    assert "codes=1%3A2.5" in page.url
    page.click("#code-0-3")
    page.wait_for_selector("#code-0-3.on")
    screenshot(page, "infogan", PANELS["infogan"])
    assert page.errors == []


def test_clamped_pixels_stay_fixed_while_the_rbm_chain_runs(live, page):
    ready(page, f"{live}/?model=rbm")
    page.click("#gibbs-paint")
    box = page.locator("#gibbs-canvas").bounding_box()
    cell = box["width"] / 8
    page.mouse.move(box["x"] + cell / 2, box["y"] + cell / 2)   # paint the top row, pixels 0 to 7
    page.mouse.down()
    page.mouse.move(box["x"] + 7.5 * cell, box["y"] + cell / 2, steps=8)
    page.mouse.up()
    page.click("#gibbs-erase")
    page.mouse.click(box["x"] + cell / 2, box["y"] + 7.5 * cell)   # erase pixel 56
    for _ in range(5):
        page.click("#gibbs-step")
    page.wait_for_function("window.genzoo.chain.sweeps === 5")
    chain = page.evaluate("window.genzoo.chain")
    assert chain["clamped"][:8] == [1] * 8 and chain["pixels"][:8] == [1] * 8 and chain["mean"][:8] == [1] * 8
    assert chain["clamped"][56] == 1 and chain["pixels"][56] == 0 and sum(chain["clamped"]) == 9
    screenshot(page, "rbm", "#gibbs-panel")
    assert page.errors == []


def test_the_toy_page_trains_in_front_of_the_user_and_its_coverage_moves(live, page):
    ready(page, f"{live}/toy?model=gan&target=ring8&seed=0")
    before = page.text_content("#spread")
    page.fill("#per-frame", "10")
    page.click("#play")
    page.wait_for_function("Number(document.querySelector('#steps').textContent) >= 30", timeout=30_000)
    page.click("#play")
    assert page.text_content("#spread") != before
    assert "model=gan" in page.url and "target=ring8" in page.url
    screenshot(page, "toy")
    assert page.errors == []


def test_the_page_answers_bad_requests_with_a_4xx(live, page):
    ready(page, f"{live}/?model=gan")
    assert page.request.get(f"{live}/api/models/nowhere/samples").status == 404
    assert page.request.get(f"{live}/api/models/gan/samples?n=1000").status == 400
    page.fill("#dims", "0,9")   # a direction the 4-dimensional latent has not is left out, not sent
    page.dispatch_event("#dims", "change")
    page.wait_for_function("document.querySelectorAll('#sliders input').length === 1")
