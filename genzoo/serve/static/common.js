// What both pages share: requests to the server, and the view's state kept in the page's URL.
"use strict";

const genzoo = window.genzoo = window.genzoo || {};

// GET (no body) or POST (a JSON body) to the server; a refused request shows its one-line message.
genzoo.api = async function (path, params, body) {
  const query = params ? "?" + new URLSearchParams(params).toString() : "";
  const options = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: JSON.stringify(body)};
  const response = await fetch(path + query, options);
  const answer = await response.json();
  const shown = document.getElementById("error");
  if (!response.ok) {
    if (shown) shown.textContent = answer.error;
    throw new Error(answer.error);
  }
  if (shown) shown.textContent = "";
  return answer;
};

// The view's state in the URL's query, so that a link reproduces it.
genzoo.readState = function () {
  return Object.fromEntries(new URLSearchParams(window.location.search));
};
genzoo.writeState = function (state) {
  const kept = Object.fromEntries(Object.entries(state).filter(([, v]) => v !== "" && v !== undefined && v !== null));
  window.history.replaceState(null, "", "?" + new URLSearchParams(kept).toString());
};

genzoo.images = function (container, sources, onClick) {
  container.replaceChildren(...sources.map((src, i) => {
    const img = document.createElement("img");
    img.src = src;
    img.className = "px";
    img.dataset.index = i;
    if (onClick) img.addEventListener("click", () => onClick(i));
    return img;
  }));
};
