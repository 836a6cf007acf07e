// The explorer page: one panel per thing the model can do (its capabilities, from the server), its state in the URL.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const g = window.genzoo;
  const state = Object.assign({seed: "0", index: "0", a: "0", b: "1", kind: "linear", plus: "", minus: "",
                               offsets: "", dims: "", label: "", codes: "", text: ""}, g.readState());
  let models = {};
  let current = null;
  const chain = g.chain = {pixels: [], clamped: [], sweeps: 0, running: false, brush: 1};
  const drawing = g.drawing = {pixels: []};

  const can = (capability) => current.capabilities.includes(capability);
  const path = (action) => `/api/models/${encodeURIComponent(current.id)}/${action}`;
  const list = (text) => text.split(",").filter((x) => x !== "");
  const save = () => { state.model = current.id; g.writeState(state); };

  async function load() {
    const answer = await g.api("/api/models");
    models = Object.fromEntries(answer.models.map((m) => [m.id, m]));
    $("toy-link").hidden = !answer.toy;
    $("model").replaceChildren(...answer.models.map((m) => new Option(`${m.id} (${m.model})`, m.id)));
    $("model").value = models[state.model] ? state.model : answer.models[0].id;
    $("seed").value = state.seed;
    await choose($("model").value, false);
  }

  async function choose(id, reset) {
    current = models[id];
    if (reset) Object.assign(state, {index: "0", a: "0", b: "1", plus: "", minus: "", offsets: "", dims: "",
                                     label: "", codes: ""});
    $("about").textContent = `${current.model} on ${current.dataset}, step ${current.step}`;
    const drawable = current.image_shape[0] === 1;
    for (const [panel, capability] of [["latent", "latent"], ["interpolate", "latent"], ["arithmetic", "latent"],
                                       ["label", "label"], ["codes", "codes"], ["text", "text"]]) {
      $(`${panel}-panel`).hidden = !can(capability);
    }
    $("gibbs-panel").hidden = !(can("gibbs") && drawable);
    $("reconstruct-panel").hidden = !(can("reconstruct") && drawable);
    $("click-modes").hidden = !can("latent");
    $("samples-panel").hidden = can("text");
    save();
    const work = [showRun()];
    if (!can("text")) work.push(showSamples());
    if (can("latent")) { buildSliders(); work.push(showLatent(), showPath(), showArithmetic()); }
    if (can("label")) { buildLabels(); work.push(showLabel()); }
    if (can("codes")) { buildCodes(); work.push(showCodes()); }
    if (can("text")) { $("text").value = state.text || $("text").value; work.push(showText()); }
    if (!$("gibbs-panel").hidden) work.push(restartChain());
    if (!$("reconstruct-panel").hidden) clearDrawing();
    await Promise.all(work);
    document.body.dataset.ready = "true";
  }

  // --- samples, and choosing them for the latent panels ----------------------------------------------------------
  async function showSamples() {
    const answer = await g.api(path("samples"), {seed: state.seed, n: 16});
    g.images($("samples"), answer.images, can("latent") ? clickSample : null);
    markSamples();
  }

  function markSamples() {
    for (const img of $("samples").children) {
      const i = img.dataset.index;
      img.classList.toggle("chosen", can("latent") && i === state.index);
      img.classList.toggle("plus", list(state.plus).includes(i));
      img.classList.toggle("minus", list(state.minus).includes(i));
    }
  }

  function clickSample(i) {
    const mode = document.querySelector("input[name=click]:checked").value;
    if (mode === "plus" || mode === "minus") {
      const group = list(state[mode]);
      state[mode] = (group.includes(String(i)) ? group.filter((x) => x !== String(i)) : [...group, i]).join(",");
      showArithmetic();
    } else {
      state[mode] = String(i);
      if (mode === "index") showLatent(); else showPath();
    }
    markSamples();
    save();
  }

  // --- latent sliders, interpolation, arithmetic ------------------------------------------------------------------
  function buildSliders() {
    const dims = state.dims || [...Array(Math.min(4, current.latent_dim)).keys()].join(",");
    state.dims = dims;
    $("dims").value = dims;
    const offsets = Object.fromEntries(list(state.offsets).map((pair) => pair.split(":")));
    $("sliders").replaceChildren(...list(dims).filter((d) => Number(d) < current.latent_dim).map((d) => {
      const row = document.createElement("div");
      row.className = "slider";
      row.innerHTML = `<span>z[${d}] +</span><input type="range" min="-3" max="3" step="0.1" data-dim="${d}"
        value="${offsets[d] || 0}"><output>${offsets[d] || 0}</output>`;
      row.querySelector("input").addEventListener("input", (event) => {
        row.querySelector("output").textContent = event.target.value;
        state.offsets = [...$("sliders").querySelectorAll("input")]
          .filter((s) => Number(s.value) !== 0).map((s) => `${s.dataset.dim}:${s.value}`).join(",");
        save();
        showLatent();
      });
      return row;
    }));
  }

  async function showLatent() {
    const answer = await g.api(path("latent"), {seed: state.seed, index: state.index, offsets: state.offsets});
    $("latent-image").src = answer.image;
  }

  async function showPath() {
    $("kind").value = state.kind;
    $("ends").textContent = `from sample ${state.a} to sample ${state.b}`;
    const answer = await g.api(path("interpolate"), {seed: state.seed, a: state.a, b: state.b, steps: 8,
                                                     kind: state.kind});
    g.images($("path"), answer.images);
  }

  async function showArithmetic() {
    $("groups").textContent = state.plus ? `mean(${state.plus})` + (state.minus ? ` − mean(${state.minus})` : "")
      : "click samples into the plus and minus groups";
    if (!state.plus) { $("arithmetic-result").removeAttribute("src"); $("arithmetic-neighbours").replaceChildren();
                       return; }
    const answer = await g.api(path("arithmetic"), {seed: state.seed, plus: state.plus, minus: state.minus});
    $("arithmetic-result").src = answer.result;
    g.images($("arithmetic-neighbours"), answer.neighbours);
  }

  // --- a conditional model's class, an InfoGAN's codes, a StackGAN's text -----------------------------------------
  function buildLabels() {
    $("labels").replaceChildren(...current.classes.map((name, i) => {
      const button = document.createElement("button");
      button.textContent = name;
      button.dataset.label = i;
      button.addEventListener("click", () => { state.label = String(i); save(); showLabel(); });
      return button;
    }));
  }

  async function showLabel() {
    for (const b of $("labels").children) b.classList.toggle("on", b.dataset.label === (state.label || "0"));
    const answer = await g.api(path("samples"), {seed: state.seed, n: 8, label: state.label || "0"});
    g.images($("label-images"), answer.images);
  }

  function codeValues() {
    return Object.fromEntries(list(state.codes).map((pair) => pair.split(":")));
  }

  function buildCodes() {
    const values = codeValues();
    const rows = [];
    current.codes.categorical.forEach((k, code) => {
      const row = document.createElement("div");
      row.className = "controls";
      row.append(`c${code + 1}`);
      for (let category = 0; category < k; category++) {
        const button = document.createElement("button");
        button.textContent = category;
        button.id = `code-${code}-${category}`;
        button.classList.toggle("on", values[code] === String(category));
        button.addEventListener("click", () => setCode(code, String(category)));
        row.append(button);
      }
      rows.push(row);
    });
    for (let j = 0; j < current.codes.continuous; j++) {
      const code = current.codes.categorical.length + j;
      const row = document.createElement("div");
      row.className = "slider";
      row.innerHTML = `<span>c${code + 1}</span><input type="range" id="code-${code}" min="-3" max="3" step="0.1"
        value="${values[code] || 0}"><output>${values[code] || 0}</output>`;
      row.querySelector("input").addEventListener("input", (event) => {
        row.querySelector("output").textContent = event.target.value;
        setCode(code, event.target.value);
      });
      rows.push(row);
    }
    $("code-controls").replaceChildren(...rows);
  }

  function setCode(code, value) {
    const values = codeValues();
    values[code] = value;
    state.codes = Object.entries(values).map(([c, v]) => `${c}:${v}`).join(",");
    save();
    buildCodes();
    showCodes();
  }

  async function showCodes() {
    const answer = await g.api(path("codes"), {seed: state.seed, n: 8, codes: state.codes});
    g.images($("codes-images"), answer.images);
  }

  async function showText() {
    state.text = $("text").value;
    save();
    const answer = await g.api(path("text"), {seed: state.seed, text: state.text, n: 4});
    $("stages").tBodies[0].replaceChildren(...answer.stage1.map((sketch, i) => {
      const row = document.createElement("tr");
      for (const src of [sketch, answer.stage2[i]]) {
        const cell = document.createElement("td"), img = document.createElement("img");
        img.src = src;
        img.className = "px stage";
        cell.append(img);
        row.append(cell);
      }
      return row;
    }));
    $("unknown").replaceChildren(...(answer.unknown.length ? ["words it does not know: ", ...answer.unknown.map((w) => {
      const span = document.createElement("span");
      span.className = "unknown";
      span.textContent = w;
      return span;
    })] : ["every word is in its vocabulary"]));
  }

  // --- pixel canvases: the Gibbs chain and the drawing ----------------------------------------------------------
  const side = () => current.image_shape[1];
  const pixelCount = () => current.image_shape[1] * current.image_shape[2];

  function paintable(canvas, onPaint, onDone) {
    let down = false;
    const at = (event) => {
      const box = canvas.getBoundingClientRect();
      const x = Math.floor((event.clientX - box.left) / box.width * current.image_shape[2]);
      const y = Math.floor((event.clientY - box.top) / box.height * current.image_shape[1]);
      if (x >= 0 && y >= 0 && x < current.image_shape[2] && y < current.image_shape[1]) onPaint(x, y);
    };
    canvas.addEventListener("mousedown", (event) => { down = true; at(event); });
    canvas.addEventListener("mousemove", (event) => { if (down) at(event); });
    window.addEventListener("mouseup", () => { if (down) { down = false; if (onDone) onDone(); } });
  }

  function drawPixels(canvas, values, clamped) {
    const context = canvas.getContext("2d");
    const cell = canvas.width / current.image_shape[2];
    for (let i = 0; i < values.length; i++) {
      const level = Math.round(255 * values[i]);   // 1 white on 0 black, as the model's images
      context.fillStyle = `rgb(${level},${level},${level})`;
      const x = (i % current.image_shape[2]) * cell, y = Math.floor(i / current.image_shape[2]) * cell;
      context.fillRect(x, y, cell, cell);
      if (clamped && clamped[i]) {
        context.strokeStyle = "#e22";
        context.strokeRect(x + 1, y + 1, cell - 2, cell - 2);
      }
    }
  }

  function brushed(x, y, radius) {
    const found = [];
    for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) {
      const px = x + dx, py = y + dy;
      if (px >= 0 && py >= 0 && px < current.image_shape[2] && py < side()) found.push(py * current.image_shape[2] + px);
    }
    return found;
  }

  async function restartChain() {
    const answer = await g.api(path("samples"), {seed: state.seed, n: 1});
    const image = new Image();
    image.src = answer.images[0];
    await image.decode();
    const scratch = document.createElement("canvas");
    scratch.width = current.image_shape[2];
    scratch.height = side();
    scratch.getContext("2d").drawImage(image, 0, 0);
    const data = scratch.getContext("2d").getImageData(0, 0, scratch.width, scratch.height).data;
    chain.pixels = Array.from({length: pixelCount()}, (_, i) => (data[4 * i] > 127 ? 1 : 0));
    chain.clamped = new Array(pixelCount()).fill(0);
    chain.sweeps = 0;
    showChain();
  }

  function showChain() {
    drawPixels($("gibbs-canvas"), chain.mean || chain.pixels, chain.clamped);
    $("gibbs-count").textContent = `${chain.sweeps} sweeps, ${chain.clamped.filter((c) => c).length} pixels clamped`;
  }

  async function stepChain() {
    const answer = await g.api(path("gibbs"), {}, {pixels: chain.pixels, clamped: chain.clamped, sweeps: 1,
                                                   seed: Number(state.seed) * 100003 + chain.sweeps});
    chain.pixels = answer.pixels;
    chain.mean = answer.mean;
    chain.sweeps += 1;
    showChain();
  }

  async function runChain() {
    chain.running = !chain.running;
    $("gibbs-run").textContent = chain.running ? "pause" : "run";
    while (chain.running && !$("gibbs-panel").hidden) {
      await stepChain();
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
  }

  paintable($("gibbs-canvas"), (x, y) => {
    for (const i of brushed(x, y, side() > 16 ? 1 : 0)) {
      chain.pixels[i] = chain.brush;
      chain.clamped[i] = 1;
      if (chain.mean) chain.mean[i] = chain.brush;
    }
    showChain();
  });

  function clearDrawing() {
    drawing.pixels = new Array(pixelCount()).fill(0);
    drawPixels($("draw-canvas"), drawing.pixels);
    $("reconstruction").removeAttribute("src");
    $("likelihood").textContent = "";
  }

  async function reconstruct() {
    const answer = await g.api(path("reconstruct"), {}, {pixels: drawing.pixels});
    $("reconstruction").src = answer.reconstruction;
    $("likelihood").textContent = `log p(x) ≈ ${answer.log_likelihood.toFixed(1)} nats: ${answer.method}`;
  }

  paintable($("draw-canvas"), (x, y) => {
    for (const i of brushed(x, y, side() > 16 ? 1 : 0)) drawing.pixels[i] = 1;
    drawPixels($("draw-canvas"), drawing.pixels);
  }, () => { if (!$("reconstruct-panel").hidden) reconstruct(); });

  // --- the run's record -------------------------------------------------------------------------------------------
  async function showRun() {
    const record = await g.api(path("run"));
    $("curves").innerHTML = record.curves || '<p class="note">no curves (a shipped model keeps none)</p>';
    $("figures").textContent = Object.keys(record.figures).length ? JSON.stringify(record.figures, null, 1)
      : "no eval.json yet: genzoo eval RUN writes one";
    $("config").textContent = JSON.stringify(record.config, null, 1);
  }

  // --- wiring -----------------------------------------------------------------------------------------------------
  $("model").addEventListener("change", () => choose($("model").value, true));
  $("seed").addEventListener("change", () => { state.seed = String(Math.max(0, Number($("seed").value) || 0));
                                              choose(current.id, false); });
  $("resample").addEventListener("click", () => { state.seed = String(Number(state.seed) + 1);
                                                  $("seed").value = state.seed; choose(current.id, false); });
  $("dims").addEventListener("change", () => { state.dims = $("dims").value.replace(/\s/g, ""); state.offsets = "";
                                               save(); buildSliders(); showLatent(); });
  $("kind").addEventListener("change", () => { state.kind = $("kind").value; save(); showPath(); });
  $("clear-groups").addEventListener("click", () => { state.plus = state.minus = ""; save(); markSamples();
                                                      showArithmetic(); });
  $("draw-text").addEventListener("click", showText);
  $("text").addEventListener("keydown", (event) => { if (event.key === "Enter") showText(); });
  $("gibbs-paint").addEventListener("click", () => { chain.brush = 1; $("gibbs-paint").classList.add("on");
                                                     $("gibbs-erase").classList.remove("on"); });
  $("gibbs-erase").addEventListener("click", () => { chain.brush = 0; $("gibbs-erase").classList.add("on");
                                                     $("gibbs-paint").classList.remove("on"); });
  $("gibbs-step").addEventListener("click", stepChain);
  $("gibbs-run").addEventListener("click", runChain);
  $("gibbs-release").addEventListener("click", () => { chain.clamped.fill(0); showChain(); });
  $("gibbs-restart").addEventListener("click", restartChain);
  $("draw-clear").addEventListener("click", clearDrawing);
  load().catch((error) => { $("error").textContent = String(error.message || error); });
})();
