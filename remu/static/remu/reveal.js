// Questions that depend on an answer: <div data-show-if="ID"> shows only while the checkbox
// #ID is checked. Without JavaScript every question stays visible.
document.addEventListener("DOMContentLoaded", () => {
  for (const block of document.querySelectorAll("[data-show-if]")) {
    const box = document.getElementById(block.dataset.showIf);
    if (!box) continue;
    const sync = () => { block.hidden = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  }
});

// Forms marked data-track-changes show their « not saved » note once something is typed.
document.addEventListener("input", (event) => {
  const form = event.target.closest("form[data-track-changes]");
  const note = form && form.querySelector(".unsaved-note");
  if (note) note.hidden = false;
});

// Bootstrap tooltips (the « ? » of a payment: its status date and mandate number).
document.addEventListener("DOMContentLoaded", () => {
  if (!window.bootstrap) return;
  for (const el of document.querySelectorAll('[data-bs-toggle="tooltip"]')) {
    new bootstrap.Tooltip(el);
  }
});

// Links of an error summary to a field in another tab (data-show-tab): show the tab first.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-show-tab]");
  const tab = link && document.getElementById(`tab-${link.dataset.showTab}`);
  if (tab && window.bootstrap) bootstrap.Tab.getOrCreateInstance(tab).show();
});

// The Content-Security-Policy forbids inline scripts and handlers: behaviours are declared
// with data- attributes and bound here (event delegation also covers content htmx swaps in).

// <form data-confirm="Question ?">: asks before submitting.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// <input type="checkbox" data-check-all=".selector">: checks or unchecks every box it names.
document.addEventListener("click", (event) => {
  const master = event.target.closest("input[data-check-all]");
  if (!master) return;
  for (const box of document.querySelectorAll(master.dataset.checkAll)) {
    box.checked = master.checked;
  }
});

// <div class="progress-bar" data-percent="40">: its width (no inline style attribute).
function sizeProgressBars(root) {
  for (const bar of root.querySelectorAll(".progress-bar[data-percent]")) {
    bar.style.width = `${bar.dataset.percent}%`;
  }
}
document.addEventListener("DOMContentLoaded", () => sizeProgressBars(document));
document.addEventListener("htmx:afterSettle", () => sizeProgressBars(document));
