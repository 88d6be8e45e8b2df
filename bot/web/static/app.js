// Progressive enhancement for the selfiebot page. Without this file the form posts normally
// and the server renders the result, tips included; with it: drag-and-drop, a preview, a size
// check before uploading, an in-page upload with a progress bar, and the tips fetched after the
// score is shown. The server renders the same templates either way; only the changed sections
// are swapped in, so there is one rendering path.
(() => {
  "use strict";
  document.documentElement.classList.replace("no-js", "js");

  const form = document.getElementById("play");
  if (!form) return;
  const dropzone = document.getElementById("dropzone");
  const pickers = Array.from(form.querySelectorAll("input[type=file]"));
  const preview = document.getElementById("preview");
  const chosen = document.getElementById("chosen");
  const submit = document.getElementById("submit");
  const progress = document.getElementById("progress");
  const bar = document.getElementById("progress-bar");
  const progressText = document.getElementById("progress-text");
  const maxBytes = Number(form.dataset.maxBytes);
  const swapped = ["outcome", "news", "leaderboard"];
  let photo = null;
  let previewUrl = null;

  const looksLikePhoto = (file) =>
    file.type.startsWith("image/") || /\.(heic|heif)$/i.test(file.name);

  // Sentences come from the catalogue through the form's data-msg-* attributes; `{name}`
  // placeholders are filled here.
  function msg(name, values = {}) {
    return form.dataset[name].replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  }

  function say(text) {
    chosen.textContent = text;
  }

  function choose(file) {
    if (!looksLikePhoto(file)) {
      say(msg("msgNotPhoto", { name: file.name }));
      return;
    }
    if (file.size > maxBytes) {
      say(msg("msgTooLarge", { name: file.name, limit: form.dataset.maxLabel }));
      return;
    }
    photo = file;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    preview.src = previewUrl;
    preview.hidden = false;
    say(msg("msgReady", { name: file.name, size: Math.max(1, Math.round(file.size / 1024)) }));
  }

  for (const input of pickers) {
    input.addEventListener("change", () => {
      if (input.files && input.files[0]) choose(input.files[0]);
    });
  }

  // Dropping a file anywhere must not navigate away from the page.
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (event) => event.preventDefault());
  }
  let depth = 0;
  dropzone.addEventListener("dragenter", (event) => {
    event.preventDefault();
    depth += 1;
    dropzone.classList.add("dragging");
  });
  dropzone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropzone.classList.remove("dragging");
  });
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    dropzone.classList.remove("dragging");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) choose(file);
  });

  function busy(on) {
    submit.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    progress.hidden = !on;
  }

  function showProgress(text, fraction) {
    progressText.textContent = text;
    if (fraction === null) bar.removeAttribute("value");
    else bar.value = Math.round(fraction * 100);
  }

  function render(html) {
    const page = new DOMParser().parseFromString(html, "text/html");
    for (const id of swapped) {
      const fresh = page.getElementById(id);
      const current = document.getElementById(id);
      if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    }
    const key = page.querySelector("input[name=key]");
    if (key) form.elements.key.value = key.value;
    if (page.title) document.title = page.title;
    const outcome = document.getElementById("outcome");
    outcome.focus({ preventScroll: true });
    outcome.scrollIntoView({ behavior: "smooth", block: "start" });
    loadTips();
  }

  // The tips take seconds (every edit is re-scored), so the score is shown first and the
  // tips section is fetched afterwards and swapped in.
  async function loadTips() {
    const pending = document.querySelector("#tips[data-tips-url]");
    if (!pending) return;
    const data = new FormData();
    data.append("key", pending.dataset.key);
    let html;
    try {
      const response = await fetch(pending.dataset.tipsUrl, {
        method: "POST",
        body: data,
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      html = await response.text();
    } catch {
      pending.querySelector(".pending").textContent = msg("msgTipsFailed");
      pending.removeAttribute("aria-busy");
      return;
    }
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("tips");
    if (fresh) pending.replaceWith(document.importNode(fresh, true));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    if (!photo) {
      say(msg("msgPickFirst"));
      pickers[0].focus();
      return;
    }
    const data = new FormData();
    data.append("key", form.elements.key.value);
    data.append("nickname", form.elements.nickname.value);
    data.append("photo", photo, photo.name || "photo.jpg");

    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "text/html");
    request.setRequestHeader("X-Selfiebot-Tips", "later");
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) showProgress(msg("msgUploading"), e.loaded / e.total);
    });
    request.upload.addEventListener("load", () => showProgress(msg("msgScoring"), null));
    request.addEventListener("load", () => {
      busy(false);
      if (request.getResponseHeader("Content-Type")?.startsWith("text/html")) {
        render(request.responseText);
      } else {
        say(msg("msgServerStatus", { status: request.status }));
      }
    });
    request.addEventListener("error", () => {
      busy(false);
      say(msg("msgUploadFailed"));
    });
    busy(true);
    showProgress(msg("msgUploading"), 0);
    request.send(data);
  });
})();
