// The comic viewer: fetches the project with the caller's credential, shows its panels in reading
// order with their lettered images and a transcript of the dialogue, and follows the project's
// WebSocket so panels appear as they are drawn. The credential comes from the URL's fragment
// (#access_token=..., never sent to the server), is kept for this tab only, and is sent as a header
// (an image too is fetched with it, then shown from memory).
"use strict";
(() => {
  const API = "/api/v1";
  const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
  const $ = (selector) => document.querySelector(selector);
  const images = new Map(); // image id -> object URL, fetched once
  let token = null;
  let socket = null;
  let finished = false;
  let empty = null; // for a comic without panels: "working" (someone is on it) or "idle" (its owner's turn)
  let described = 0; // the latest description of an empty comic wins over slower earlier ones
  let deleted = false; // once told, nothing more is loaded or shown

  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("access_token")) {
    token = fragment.get("access_token");
    sessionStorage.setItem("fable-token", token);
    history.replaceState(null, "", location.pathname + location.search);
  } else {
    token = sessionStorage.getItem("fable-token");
  }
  const headers = () => (token ? { Authorization: `Bearer ${token}` } : {});

  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  function say(text) { $("#message").textContent = text; }

  async function imageUrl(imageId) {
    if (!images.has(imageId)) {
      images.set(imageId, fetch(`${API}/images/${imageId}`, { headers: headers() }).then(async (answer) => {
        if (!answer.ok) throw new Error(`image ${answer.status}`);
        return URL.createObjectURL(await answer.blob());
      }));
    }
    return images.get(imageId);
  }

  function panelItem(panel, index) {
    const figure = el("figure");
    if (panel.status === "rendered" && panel.image_id) {
      const img = el("img", { alt: transcript(panel) || panel.title, decoding: "async" });
      img.dataset.imageId = panel.image_id;
      imageUrl(panel.image_id).then((url) => { img.src = url; }, () => { img.alt = "This picture could not be loaded."; });
      img.addEventListener("load", () => { img.dataset.loaded = "true"; updateReady(); });
      figure.append(img);
    } else {
      const label = panel.status === "failed" ? "This panel could not be drawn." : "Drawing…";
      figure.append(el("div", { className: "pending", role: "img", ariaLabel: label }));
      figure.lastChild.dataset.label = label;
    }
    const caption = el("figcaption", {}, el("h2", { textContent: `${index + 1}. ${panel.title}` }));
    if (panel.narration) caption.append(el("p", { className: "narration", textContent: panel.narration }));
    for (const line of panel.dialogue || []) {
      caption.append(el("p", {}, el("b", { textContent: `${line.speaker}: ` }), line.text));
    }
    figure.append(caption);
    const item = el("li", { className: "panel" }, figure);
    item.dataset.panelId = panel.panel_id;
    item.dataset.status = panel.status;
    return item;
  }

  function transcript(panel) {
    return [panel.narration, ...(panel.dialogue || []).map((l) => `${l.speaker}: ${l.text}`)].filter(Boolean).join(" ");
  }

  const WORKING = {
    generating_scenes: "The scenes are being written…", refining_scenes: "The scenes are being rewritten…",
    rendering_characters: "The characters are being drawn…", generating_panels: "The panels are being planned…",
  };
  const REVIEW = "Its scenes are written and wait for review: read them, change or recast them if you like, " +
    "then generate the comic.";

  async function readJob(jobId) {
    try {
      const answer = await fetch(`${API}/jobs/${encodeURIComponent(jobId)}`, { headers: headers() });
      return answer.ok ? await answer.json() : null;
    } catch {
      return null;
    }
  }

  // A comic without panels is either being worked on (its story streaming, its wizard job writing scenes
  // or planning panels) or waiting for its owner's next step, which is then said instead of "being written".
  async function describeEmpty(comic) {
    if (comic.story_status === "streaming") return { working: "The story is being written…" };
    // Only the wizard's scenes wait for review; a comic made by the wizard has the wizard's job first.
    if (comic.status === "scenes_ready") return { next: REVIEW };
    const first = (comic.job_ids || [])[0];
    const job = first ? await readJob(first) : null;
    if (first && !job && comic.story_status === "idle") return { next: "Its progress cannot be read just now." };
    if (job && job.kind === "wizard") {
      if (job.status === "queued" || job.status === "running") return { working: WORKING[job.step] || "The comic is being made…" };
      if (job.status === "awaiting_input") return { next: REVIEW };
      if (job.status === "failed") return { next: `Making it stopped: ${job.error ? job.error.message : "the job failed"}.` };
      if (job.status === "cancelled") return { next: "Making it was cancelled." };
      return { next: "It has no panels." };
    }
    if (comic.story_status !== "completed" || !(comic.story || "").trim()) {
      return { next: "Write its story, then find its characters, plan its panels and render them." };
    }
    if (!(comic.characters || []).length) return { next: "Find its characters, then plan its panels and render them." };
    return { next: "Plan its panels, then render them." };
  }

  async function showEmpty(comic) {
    const ticket = ++described;
    const state = await describeEmpty(comic);
    if (ticket !== described) return;
    empty = state.working ? "working" : "idle";
    $("#progress").hidden = !state.working;
    $("#progress-bar").removeAttribute("value"); // indeterminate: nothing to count yet
    $("#progress-text").textContent = state.working || "";
    $("#empty").hidden = !state.next;
    $("#next-step").textContent = state.next || "";
    updateReady();
  }

  function render(comic) {
    document.title = `${comic.title} · Fable Tales`;
    $("#title").textContent = comic.title;
    const panels = comic.panels || [];
    const drawn = panels.filter((p) => p.status === "rendered").length;
    $("#meta").textContent = `Ages ${comic.age_group.replace("-", "–")} · ${panels.length} panel${panels.length === 1 ? "" : "s"}`;
    finished = panels.length > 0 && drawn === panels.length;
    $("#downloads").hidden = !finished;
    if (panels.length) {
      empty = null;
      described++; // a description still on its way is for an earlier state
      $("#empty").hidden = true;
      $("#progress").hidden = finished;
      $("#progress-bar").max = panels.length;
      $("#progress-bar").value = drawn;
      $("#progress-text").textContent = `Drawing panels: ${drawn} of ${panels.length}`;
    } else {
      showEmpty(comic);
    }
    const list = $("#panels");
    const items = panels.map(panelItem);
    // Keep the pictures already on screen: only panels whose image changed are replaced.
    const current = new Map([...list.children].map((li) => [li.dataset.panelId, li]));
    list.replaceChildren(...items.map((item) => {
      const old = current.get(item.dataset.panelId);
      const oldImg = old && old.querySelector("img");
      const newImg = item.querySelector("img");
      return oldImg && newImg && oldImg.dataset.imageId === newImg.dataset.imageId ? old : item;
    }));
    updateReady();
  }

  // The project's socket says `state.deleted` and closes with 4404 (or, deleted before it connected, only
  // closes so): the page says so and stops, instead of reconnecting to a comic that is gone.
  function showDeleted() {
    if (deleted) return;
    deleted = true;
    described++; // a description still on its way is for the comic that was
    document.title = "Comic deleted · Fable Tales";
    $("#title").textContent = "Comic deleted";
    $("#meta").textContent = "";
    for (const part of ["#progress", "#downloads", "#empty", "#sign-in"]) $(part).hidden = true;
    $("#panels").replaceChildren();
    for (const url of images.values()) url.then(URL.revokeObjectURL, () => {});
    images.clear();
    say("This comic was deleted.");
    document.body.dataset.state = "deleted";
  }

  function updateReady() {
    if (deleted) return;
    const imgs = [...document.querySelectorAll("#panels img")];
    const loaded = imgs.every((img) => img.dataset.loaded === "true");
    if (empty) document.body.dataset.state = empty === "idle" ? "empty" : "working";
    else document.body.dataset.state = finished && loaded ? "ready" : "rendering";
  }

  function follow() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = token ? `?access_token=${encodeURIComponent(token)}` : "";
    socket = new WebSocket(`${scheme}://${location.host}${API}/projects/${encodeURIComponent(id)}/ws${query}`);
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.event === "state.deleted") showDeleted();
      else if (message.state && !deleted) render(message.state);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4404) showDeleted();
      if (!finished && !deleted) setTimeout(load, 3000);
    });
  }

  async function load() {
    let answer;
    try {
      answer = await fetch(`${API}/projects/${encodeURIComponent(id)}`, { headers: headers() });
    } catch {
      say("The comic server cannot be reached; trying again…");
      setTimeout(load, 3000);
      return;
    }
    if (answer.status === 401) {
      document.body.dataset.state = "sign-in";
      $("#title").textContent = "Fable Tales";
      $("#sign-in").hidden = false;
      if (token) say("That key was not accepted.");
      return;
    }
    if (!answer.ok) {
      document.body.dataset.state = "missing";
      $("#title").textContent = "Comic not found";
      say(answer.status === 404 ? "There is no comic here, or it belongs to someone else." :
        `The comic could not be loaded (${answer.status}).`);
      return;
    }
    say("");
    render(await answer.json());
    if (!finished && (!socket || socket.readyState > 1)) follow();
  }

  $("#sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("#key").value.trim();
    sessionStorage.setItem("fable-token", token);
    $("#sign-in").hidden = true;
    load();
  });

  $("#downloads").addEventListener("click", async (event) => {
    const format = event.target.dataset && event.target.dataset.format;
    if (!format) return;
    const answer = await fetch(`${API}/projects/${encodeURIComponent(id)}/export/${format}`, { headers: headers() });
    if (!answer.ok) { say(`The ${format.toUpperCase()} could not be made (${answer.status}).`); return; }
    const name = /filename="([^"]+)"/.exec(answer.headers.get("content-disposition") || "");
    const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: name ? name[1] : `comic.${format}` });
    link.click();
  });

  load();
})();
