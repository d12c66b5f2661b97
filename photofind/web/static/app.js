// photofind web: a little JavaScript over plain HTML pages (everything works without it, except
// drop/paste and "more" after an upload). Served from the package; nothing from a CDN.
"use strict";

const form = document.getElementById("search");
const fileInput = document.getElementById("image");
const words = document.getElementById("q");

// An upload is posted with fetch and only <main> is replaced, so the picked file stays in the
// form and "more" can send it again with a larger k.
async function postUpload(k) {
  const data = new FormData(form);
  data.set("k", k || "");
  data.set("q", "");
  data.set("like", "");
  const response = await fetch("/", { method: "POST", body: data });
  swapMain(await response.text());
  if (location.pathname !== "/") history.pushState({}, "", "/");
}

function useFile(file) {
  if (!file) return;
  const list = new DataTransfer();
  list.items.add(file);
  fileInput.files = list.files;
  if (words) words.value = "";
  postUpload("");
}

// Swap in the page's new <main> (results, or a message), keeping the header and its form.
function swapMain(html) {
  const page = new DOMParser().parseFromString(html, "text/html");
  document.getElementById("main").replaceWith(page.getElementById("main"));
  document.title = page.title;
  hookMore();
}

// "More": k grows. The longer list replaces the grid in place, so the view stays where it was.
function hookMore() {
  const more = document.getElementById("more");
  if (!more) return;
  if (more.tagName === "BUTTON") {
    more.addEventListener("click", () => postUpload(more.dataset.k));
  } else {
    more.addEventListener("click", async (event) => {
      event.preventDefault();
      const address = more.getAttribute("href").split("#")[0];
      swapMain(await (await fetch(address)).text());
      history.replaceState({}, "", address);
    });
  }
}

if (form) {
  fileInput.addEventListener("change", () => { if (fileInput.files.length) useFile(fileInput.files[0]); });
  if (words) words.addEventListener("input", () => { fileInput.value = ""; });
  form.addEventListener("submit", (event) => {
    if (fileInput.files.length) { event.preventDefault(); postUpload(""); }
    else document.getElementById("k").value = "";  // a new question starts at one page again
  });
  document.addEventListener("dragover", (e) => { e.preventDefault(); document.body.classList.add("dragging"); });
  document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    document.body.classList.remove("dragging");
    useFile(e.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (e) => {
    const item = [...e.clipboardData.items].find((i) => i.type.startsWith("image/"));
    if (item) useFile(item.getAsFile());
  });
  hookMore();
}

// The status page follows an index run live: files done out of total, rate and ETA.
const activity = document.getElementById("activity");
if (activity) {
  let wasIndexing = activity.dataset.indexing === "yes";
  const eta = (s) => (s == null ? "unknown" : s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);
  const poll = async () => {
    try {
      const a = await (await fetch("/api/activity")).json();
      activity.dataset.indexing = a.indexing ? "yes" : "no";
      if (a.indexing) {
        activity.textContent = `Indexing: ${a.done} of ${a.total} files (${a.skipped} skipped), ` +
          `${a.rate.toFixed(1)} files/s, about ${eta(a.eta_seconds)} left`;
      } else if (wasIndexing) {
        location.reload();  // the counts below changed
      } else {
        activity.textContent = a.pending ? `Idle: ${a.pending} changed files settling` : "Idle: the index is up to date";
      }
      wasIndexing = a.indexing;
    } catch (err) { activity.textContent = "The server does not answer."; }
    setTimeout(poll, 1000);
  };
  poll();
}

// The duplicates page: say how many files and bytes go (or come back) before the form is sent.
function files(n) {
  return n + (Number(n) === 1 ? " file" : " files");
}

function megabytes(n) {
  return n >= 100000 ? (n / 1e6).toFixed(2) + " MB" : Math.round(n / 1e3) + " KB";
}

const trashForm = document.getElementById("trash");
if (trashForm) {
  trashForm.addEventListener("submit", (event) => {
    const picked = [...trashForm.querySelectorAll("input[name=move]:checked")];
    const bytes = picked.reduce((sum, box) => sum + Number(box.dataset.bytes || 0), 0);
    if (picked.length === 0) {
      event.preventDefault();
      window.alert("No file is selected.");
    } else if (!window.confirm(`Move ${files(picked.length)} (${megabytes(bytes)}) to the trash?`)) {
      event.preventDefault();
    }
  });
}

const restoreForm = document.getElementById("restore");
if (restoreForm) {
  restoreForm.addEventListener("submit", (event) => {
    const n = restoreForm.dataset.count, bytes = Number(restoreForm.dataset.bytes || 0);
    if (!window.confirm(`Put back ${files(n)} (${megabytes(bytes)}) at their original paths?`)) event.preventDefault();
  });
}
