// The live 2-D page: the server trains genzoo's own GAN, WGAN or WGAN-GP (genzoo.toy) and the page draws its state.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const g = window.genzoo;
  const toy = g.toy = {id: null, view: null, playing: false, clicked: []};
  const initial = g.readState();
  $("model").value = initial.model || "gan";
  $("target").value = initial.target || "ring8";
  $("seed").value = initial.seed || "0";
  toy.clicked = initial.points ? JSON.parse(initial.points) : [];

  function save() {
    g.writeState({model: $("model").value, target: $("target").value, seed: $("seed").value,
                  points: $("target").value === "points" ? JSON.stringify(toy.clicked) : ""});
  }

  async function newGame() {
    toy.playing = false;
    $("play").textContent = "play";
    save();
    $("click-hint").hidden = $("target").value !== "points";
    if ($("target").value === "points" && toy.clicked.length === 0) { toy.id = null; draw(null); return; }
    const body = {model: $("model").value, target: $("target").value, seed: Number($("seed").value) || 0};
    if (body.target === "points") body.points = toy.clicked;
    show(await g.api("/api/toy", null, body));
  }

  async function step(kind, steps) {
    if (!toy.id) return;
    show(await g.api(`/api/toy/${toy.id}`, null, {kind, steps}));
  }

  async function play() {
    toy.playing = !toy.playing;
    $("play").textContent = toy.playing ? "pause" : "play";
    while (toy.playing) {
      await step("train", Math.min(50, Math.max(1, Number($("per-frame").value) || 1)));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }

  function show(view) {
    toy.id = view.id;
    toy.view = view;
    $("steps").textContent = view.generator_updates;
    $("d-updates").textContent = view.discriminator_updates;
    $("coverage").textContent = `${view.score.modes_covered} / ${view.score.modes}`;
    $("quality").textContent = view.score.high_quality_share.toFixed(3);
    $("spread").textContent = view.score.nearest_mode_kl_to_uniform.toFixed(4);
    $("scalars").textContent = Object.entries(view.scalars).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ");
    draw(view);
    chart(view.history);
  }

  function draw(view) {
    const canvas = $("field");
    const context = canvas.getContext("2d");
    const extent = view ? view.extent : 5.5;
    const px = (x) => (x + extent) / (2 * extent) * canvas.width;
    const py = (y) => (extent - y) / (2 * extent) * canvas.height;
    context.fillStyle = "white";
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (view) {
      const map = view.value_map, cell = canvas.width / map.resolution, span = (map.high - map.low) || 1;
      map.values.forEach((value, i) => {
        const level = Math.round(255 - 120 * (value - map.low) / span);
        context.fillStyle = `rgb(${level},${level},${Math.min(255, level + 20)})`;
        context.fillRect((i % map.resolution) * cell, Math.floor(i / map.resolution) * cell, cell + 1, cell + 1);
      });
      context.strokeStyle = "rgba(80,80,80,0.5)";
      for (const line of view.warp) {
        context.beginPath();
        line.forEach(([x, y], i) => (i ? context.lineTo(px(x), py(y)) : context.moveTo(px(x), py(y))));
        context.stroke();
      }
      const dots = (points, colour) => {
        context.fillStyle = colour;
        for (const [x, y] of points) context.fillRect(px(x) - 1.5, py(y) - 1.5, 3, 3);
      };
      dots(view.real, "#1565c0");
      dots(view.fake, "#ef6c00");
    }
    context.strokeStyle = "#c62828";
    const centres = view ? view.centres : toy.clicked;
    for (const [x, y] of centres) {
      context.beginPath();
      context.arc(px(x), py(y), 5, 0, 2 * Math.PI);
      context.stroke();
    }
  }

  // The history of the watched loss and of the modes covered, each scaled to the chart's height.
  function chart(history) {
    const svg = $("chart");
    const width = Number(svg.getAttribute("width")), height = Number(svg.getAttribute("height")) - 40;
    const lossKey = history.length && ("wasserstein_estimate" in history[history.length - 1]
                                       ? "wasserstein_estimate" : "g_loss");
    const series = [[lossKey, "#6a1b9a"], ["modes_covered", "#2e7d32"]];
    const parts = [];
    series.forEach(([key, colour], row) => {
      const points = history.filter((h) => typeof h[key] === "number").map((h) => [h.generator_updates, h[key]]);
      if (points.length < 1) return;
      const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
      const x0 = Math.min(...xs), x1 = Math.max(...xs) || 1, y0 = Math.min(...ys), y1 = Math.max(...ys);
      const sx = (x) => 10 + (x - x0) / ((x1 - x0) || 1) * (width - 20);
      const sy = (y) => 10 + (1 - (y - y0) / ((y1 - y0) || 1)) * (height - 20);
      const d = points.map(([x, y], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join("");
      parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
      parts.push(`<text x="10" y="${height + 14 + 14 * row}" fill="${colour}" font-size="12">${key}: ` +
                 `${y0.toFixed(3)} to ${y1.toFixed(3)}</text>`);
    });
    svg.innerHTML = parts.join("");
  }

  $("field").addEventListener("click", (event) => {
    if ($("target").value !== "points") return;
    const box = $("field").getBoundingClientRect(), extent = 5.5;
    const x = ((event.clientX - box.left) / box.width) * 2 * extent - extent;
    const y = extent - ((event.clientY - box.top) / box.height) * 2 * extent;
    toy.clicked.push([Number(x.toFixed(2)), Number(y.toFixed(2))]);
    save();
    draw(toy.view && toy.view.target === "points" ? Object.assign({}, toy.view, {centres: toy.clicked}) : null);
  });
  $("new").addEventListener("click", newGame);
  $("model").addEventListener("change", newGame);
  $("target").addEventListener("change", () => { if ($("target").value === "points") toy.clicked = []; newGame(); });
  $("play").addEventListener("click", play);
  $("d-step").addEventListener("click", () => step("discriminator", 1));
  $("g-step").addEventListener("click", () => step("generator", 1));
  $("train-step").addEventListener("click", () => step("train", 1));
  newGame().then(() => { document.body.dataset.ready = "true"; })
    .catch((error) => { $("error").textContent = String(error.message || error); });
})();
