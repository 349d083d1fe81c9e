/*
 * Small things every page needs: a message when an htmx request fails (htmx
 * swaps nothing for an error answer, so the person would see nothing happen),
 * no polling from a tab nobody looks at, and "N characters left" under text
 * boxes with a length limit, and focus on a form's error summary.
 */
(function () {
  "use strict";

  const MESSAGES = {
    403: "This page is out of date (your session may have expired). Reload it and try again.",
    404: "That is not there any more. Reload the page.",
    413: "That is too large to send.",
    429: "Too many attempts. Wait a minute and try again.",
  };
  const SERVER_ERROR = "Something went wrong on our side. Try again in a moment.";
  const OFFLINE = "Could not reach the site. Check your connection and try again.";

  function flash(text) {
    const box = document.getElementById("flash");
    if (!box) return;
    const message = document.createElement("p");
    message.className = "flash flash--error";
    message.setAttribute("role", "alert");
    message.textContent = text;
    box.replaceChildren(message);
  }

  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    flash(MESSAGES[status] || (status >= 500 ? SERVER_ERROR : MESSAGES[403]));
  });
  document.addEventListener("htmx:sendError", () => flash(OFFLINE));
  // A later answer that succeeds clears an old message about a failure.
  document.addEventListener("htmx:afterRequest", (event) => {
    if (!event.detail.successful) return;
    const old = document.querySelector("#flash .flash--error");
    if (old) old.remove();
  });

  // A hidden tab's polls cost the server and show nobody anything. htmx's own
  // trigger filters (`every 1s [!document.hidden]`) are compiled with
  // Function(), which the CSP forbids, so the poll is cancelled here instead;
  // each poller also listens for `visibilitychange from:document`, which
  // brings it up to date as soon as the tab is shown again.
  document.addEventListener("htmx:confirm", (event) => {
    const trigger = event.detail.elt.getAttribute("hx-trigger") || "";
    if (document.hidden && /\bevery\b/.test(trigger)) event.preventDefault();
  });

  function countdown(textarea) {
    if (textarea.dataset.counterBound) return;
    textarea.dataset.counterBound = "1";
    const limit = Number(textarea.getAttribute("maxlength"));
    if (!limit) return;
    const counter = document.createElement("div");
    counter.className = "help counter";
    counter.id = textarea.id + "_counter";
    counter.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", counter);
    textarea.setAttribute(
      "aria-describedby",
      [textarea.getAttribute("aria-describedby"), counter.id].filter(Boolean).join(" ")
    );
    const update = () => {
      const left = limit - textarea.value.length;
      counter.textContent = left === 1 ? "1 character left" : `${left} characters left`;
    };
    textarea.addEventListener("input", update);
    update();
  }

  // A form that comes back with problems: focus goes to its summary at the top
  // (templates/accounts/_error_summary.html), whose links lead to each field.
  function focusErrorSummary(root) {
    const summary = root.matches && root.matches("[data-error-summary]") ? root : root.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }
  // A link to a field focuses it and shows its label (a fragment link alone
  // scrolls the input to the very top, its label out of sight).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    const field = link && document.getElementById(link.hash.slice(1));
    if (!field) return;
    event.preventDefault();
    const label = document.querySelector(`label[for="${CSS.escape(field.id)}"]`) || field;
    label.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  function bind(root) {
    root.querySelectorAll("textarea[data-counter]").forEach(countdown);
    focusErrorSummary(root);
  }
  document.addEventListener("DOMContentLoaded", () => bind(document));
  document.addEventListener("htmx:load", (event) => bind(event.detail.elt));
})();
