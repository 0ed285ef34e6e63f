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
