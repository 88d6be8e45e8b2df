// Progressive enhancement for the selfiebot page. Without this file the form posts normally,
// the server redirects to the result's own page (tips included) and the leaderboard tabs are
// links; with it: drag-and-drop, a preview, checks before uploading (shown like the server's
// problems), an in-page upload with a progress bar answered by the result's page itself, the
// tips fetched after the score is shown, and the tabs switching in place. The server renders
// the same templates either way; only the changed sections are swapped in, so there is one
// rendering path.
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
  const MEGABYTE = 1024 * 1024;
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

  // Sizes in MB with one decimal, like the server's messages; never "0 MB" for a real file.
  function megabytes(bytes) {
    return Math.max(0.1, Math.round((bytes / MEGABYTE) * 10) / 10);
  }

  function say(text) {
    chosen.textContent = text;
  }

  // A problem found in the browser, shown exactly like the server's (same notice, same
  // title for the same problem type).
  function showProblem(slug, detail) {
    const notice = document.getElementById("problem-notice").content.cloneNode(true);
    notice.querySelector(".problem-title").textContent = `${form.dataset[titleKey(slug)]}.`;
    notice.querySelector(".problem-detail").textContent = detail;
    const outcome = document.getElementById("outcome");
    outcome.replaceChildren(notice);
    outcome.focus({ preventScroll: true });
  }

  const titleKey = (slug) => "title" + slug.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase());

  function forget() {
    photo = null;
    preview.hidden = true;
    say("");
    for (const input of pickers) input.value = "";
  }

  function choose(file) {
    if (!looksLikePhoto(file)) {
      forget();
      showProblem("unsupported-type", msg("msgNotPhoto", { name: file.name }));
      return;
    }
    if (file.size === 0) {
      forget();
      showProblem("bad-photo", msg("msgEmpty", { name: file.name }));
      return;
    }
    if (file.size > maxBytes) {
      forget();
      showProblem("photo-too-large", msg("msgTooLarge"));
      return;
    }
    photo = file;
    document.getElementById("outcome").replaceChildren();
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    preview.src = previewUrl;
    preview.hidden = false;
    say(msg("msgReady", { name: file.name, size: megabytes(file.size) }));
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

  // The leaderboard tabs are links (they work without this script); here they switch the
  // board in place and keep the result on screen.
  document.addEventListener("click", async (event) => {
    const tab = event.target.closest?.("a.tab");
    if (!tab || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    const url = new URL(tab.href, location.href);
    let html;
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" } });
      if (!response.ok) throw new Error(String(response.status));
      html = await response.text();
    } catch {
      location.assign(url);
      return;
    }
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("leaderboard");
    const current = document.getElementById("leaderboard");
    if (!fresh || !current) return;
    current.replaceWith(document.importNode(fresh, true));
    history.replaceState(null, "", url.pathname + url.search);
    const picked = document.querySelector("a.tab[aria-current]");
    if (picked) picked.focus();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    if (!photo) {
      showProblem("missing-photo", msg("msgPickFirst"));
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
        // The POST is answered with the result's page, its own URL in Content-Location: make
        // it the address, so a reload shows the result again instead of posting the photo
        // twice.
        const own = request.getResponseHeader("Content-Location");
        const landed = new URL(own || request.responseURL, location.href);
        if (request.status === 200 && landed.pathname !== location.pathname) {
          history.pushState(null, "", landed.pathname + landed.search);
        }
        render(request.responseText);
        forget();
      } else {
        showProblem("bad-request", msg("msgServerStatus", { status: request.status }));
      }
    });
    request.addEventListener("error", () => {
      busy(false);
      showProblem("bad-request", msg("msgUploadFailed"));
    });
    busy(true);
    showProgress(msg("msgUploading"), 0);
    request.send(data);
  });
})();
