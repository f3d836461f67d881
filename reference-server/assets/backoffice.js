// The back office's only script: the behaviour seed 002 describes and plain HTML cannot do.
// Loaded from the server itself (the pages' CSP allows no inline script and no other origin).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Permissions grid: ticking Change ticks View; unticking View unticks Change.
  for (const change of document.querySelectorAll("input[data-view]")) {
    change.addEventListener("change", () => {
      const view = document.getElementById(change.dataset.view);
      if (change.checked && view) view.checked = true;
    });
  }
  for (const view of document.querySelectorAll("input[data-change]")) {
    view.addEventListener("change", () => {
      const change = document.getElementById(view.dataset.change);
      if (!view.checked && change) change.checked = false;
    });
  }

  // Show: displays a masked secret in clear text, and masks it again.
  for (const button of document.querySelectorAll("button[data-show]")) {
    button.addEventListener("click", () => {
      const field = document.getElementById(button.dataset.show);
      const masked = field.type === "password";
      field.type = masked ? "text" : "password";
      button.textContent = masked ? "Hide" : "Show";
      button.setAttribute("aria-pressed", String(masked));
    });
  }

  // Copy: puts the secret on the clipboard and says so.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = "Copied";
      } catch {
        field.type = "text";
        field.select();
        button.textContent = "Press Ctrl+C";
      }
    });
  }
});
