/*
 * Starts allauth's WebAuthn forms (mfa/js/webauthn.js) on every page that
 * has one, after a full load and after an hx-boost swap alike: allauth's own
 * starter (account/js/onload.js) waits for DOMContentLoaded, which a boosted
 * page never fires, and leaves a dead button. Without WebAuthn in the browser
 * the controls are disabled and say so; a failed or cancelled ceremony says so
 * too instead of only logging to the console.
 */
(function () {
  "use strict";

  const supported = Boolean(window.PublicKeyCredential) && window.isSecureContext;
  const ERRORS = {
    NotAllowedError: "The key did not answer, or the request was cancelled. Try again.",
    InvalidStateError: "This key is already added to your account.",
    SecurityError: "Passkeys need the site's name, not an IP address.",
  };

  function say(root, text) {
    root.querySelectorAll("[data-webauthn-status]").forEach((box) => {
      box.textContent = text;
      box.hidden = false;
    });
  }

  function start(root) {
    if (!supported) {
      root.querySelectorAll("[data-webauthn]").forEach((control) => {
        control.disabled = true;
      });
      say(root, "This browser cannot use passkeys or security keys.");
      return;
    }
    root.querySelectorAll("script[data-allauth-onload]").forEach((script) => {
      if (script.dataset.started) return;
      script.dataset.started = "1";
      const name = script.dataset.allauthOnload;
      if (!name.startsWith("allauth.webauthn.")) return;
      const func = name.split(".").reduce((found, part) => found && found[part], window);
      if (typeof func === "function") func(JSON.parse(script.textContent));
    });
  }

  document.addEventListener("allauth.error", (event) => {
    event.preventDefault();
    const name = event.detail.exception && event.detail.exception.name;
    say(document, ERRORS[name] || "The key could not be used. Try again.");
  });
  document.addEventListener("DOMContentLoaded", () => start(document));
  document.addEventListener("htmx:load", (event) => start(event.detail.elt));
})();
