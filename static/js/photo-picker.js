/*
 * Photo picker: size check, preview with a square (round) crop frame, and upload
 * progress for htmx forms. Progressive enhancement: without it the file input still
 * works and the server crops the centred square. Coordinates are natural pixels of
 * the upright image (browsers apply EXIF orientation to naturalWidth/Height).
 */
(function () {
  "use strict";

  const MIN_SIDE = 32;
  const HELP =
    "Drag to move, drag a corner to resize. With the keyboard: arrow keys move, plus and minus resize, Home resets.";
  const NO_PREVIEW =
    "Your browser can't show a preview of this photo. It will be cropped to the centred square.";
  const CORNERS = ["nw", "ne", "sw", "se"];
  const STEP_PERCENT = 25; // how often the upload's progress is announced
  let uid = 0;
  const progressByXhr = new WeakMap();

  function clamp(v, lo, hi) {
    return Math.min(Math.max(v, lo), hi);
  }

  function make(tag, className, parent) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (parent) parent.appendChild(el);
    return el;
  }

  function bind(picker) {
    // Bound state lives on #photo-picker, the hx-preserve element, because that
    // exact node survives htmx swaps; the [data-photo-field] around it does not.
    if (picker.dataset.bound) return;
    picker.dataset.bound = "1";

    const input = picker.querySelector('input[type="file"]');
    const stage = picker.querySelector(".photo-picker__stage");
    const note = picker.querySelector(".photo-picker__note");
    const fields = ["x", "y", "width", "height"].map((k) => picker.querySelector(`input[name="crop_${k}"]`));
    if (!input || !stage || !note) return;

    const base = picker.id || "photo-picker-" + ++uid;
    const frame = make("div", "photo-picker__frame", stage);
    const img = make("img", "photo-picker__image", frame);
    img.alt = "";
    img.draggable = false;
    const square = make("div", "photo-picker__square", frame);
    square.tabIndex = 0;
    // A widget of its own that takes the arrow keys: "application" tells a
    // screen reader to pass them on rather than read on (and permits the label).
    square.setAttribute("role", "application");
    square.setAttribute("aria-roledescription", "crop square");
    square.setAttribute("aria-label", "Crop square");
    square.setAttribute("aria-describedby", base + "-crop-help");
    for (const c of CORNERS) {
      make("div", "photo-picker__handle photo-picker__handle--" + c, square).dataset.corner = c;
    }
    const help = make("p", "visually-hidden", stage);
    help.id = base + "-crop-help";
    help.textContent = HELP;
    const live = make("p", "visually-hidden", stage);
    live.setAttribute("aria-live", "polite");
    // The upload's progress for screen readers, in steps of 25 %: outside the
    // stage (hidden when there is no preview) and there before it first speaks.
    make("p", "visually-hidden upload-progress__said", picker).setAttribute("role", "status");

    let url = null;
    let W = 0;
    let H = 0;
    let crop = null; // {x, y, side}, integers
    let drag = null;
    let announceTimer = 0;

    function say(text, isError) {
      note.textContent = text || "";
      note.classList.toggle("photo-picker__note--error", !!isError);
    }

    function writeFields(c) {
      const values = c ? [c.x, c.y, c.side, c.side] : ["", "", "", ""];
      fields.forEach((f, i) => f && (f.value = values[i]));
    }

    function reset() {
      stage.hidden = true;
      crop = null;
      drag = null;
      writeFields(null);
      // The old src stays (hidden): removing it could fire a stray "error".
      if (url) URL.revokeObjectURL(url);
      url = null;
    }

    const minSide = () => Math.min(MIN_SIDE, W, H);

    // Rounds and clamps a candidate crop, then shows and stores it.
    function set(x, y, side, quiet) {
      side = clamp(Math.round(side), minSide(), Math.min(W, H));
      crop = { x: clamp(Math.floor(x), 0, W - side), y: clamp(Math.floor(y), 0, H - side), side };
      // Percentages keep the frame right when the image is resized by layout.
      const s = square.style;
      s.left = (crop.x / W) * 100 + "%";
      s.top = (crop.y / H) * 100 + "%";
      s.width = (crop.side / W) * 100 + "%";
      s.height = (crop.side / H) * 100 + "%";
      writeFields(crop);
      if (quiet) return;
      clearTimeout(announceTimer);
      announceTimer = setTimeout(() => {
        if (crop) live.textContent = `Square of ${crop.side} pixels, ${crop.x} from the left, ${crop.y} from the top`;
      }, 300);
    }

    function setCentred(quiet) {
      const side = Math.min(W, H);
      set((W - side) / 2, (H - side) / 2, side, quiet);
    }

    function load() {
      const file = input.files && input.files[0];
      const tooLarge = tooLargeMessage(picker, file);
      reset();
      say(tooLarge, !!tooLarge);
      if (tooLarge) input.value = "";
      if (!file || tooLarge) return;
      url = URL.createObjectURL(file);
      img.src = url;
    }

    img.addEventListener("load", () => {
      if (!url) return; // a late load of a file that was since replaced or cleared
      W = img.naturalWidth;
      H = img.naturalHeight;
      if (!W || !H) return;
      stage.hidden = false;
      setCentred(true);
    });

    img.addEventListener("error", () => {
      if (!url) return; // an abandoned, revoked URL, not the current file
      stage.hidden = true;
      crop = null;
      writeFields(null);
      say(NO_PREVIEW);
    });

    input.addEventListener("change", load);

    // Display pixels to natural pixels, using the image's rendered size.
    function toNatural(e) {
      const r = frame.getBoundingClientRect();
      return { x: ((e.clientX - r.left) * W) / r.width, y: ((e.clientY - r.top) * H) / r.height };
    }

    square.addEventListener("pointerdown", (e) => {
      if (!crop || (e.pointerType === "mouse" && e.button !== 0)) return;
      e.preventDefault(); // keep text selection and image dragging out of it
      square.focus({ preventScroll: true });
      square.setPointerCapture(e.pointerId);
      drag = { id: e.pointerId, corner: e.target.dataset.corner, start: toNatural(e), crop };
    });

    square.addEventListener("pointermove", (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      const p = toNatural(e);
      const c = drag.crop;
      if (!drag.corner) {
        set(c.x + p.x - drag.start.x, c.y + p.y - drag.start.y, c.side);
        return;
      }
      // Resize around the opposite (anchor) corner; sx/sy point away from it.
      const sx = drag.corner[1] === "e" ? 1 : -1;
      const sy = drag.corner[0] === "s" ? 1 : -1;
      const ax = sx > 0 ? c.x : c.x + c.side;
      const ay = sy > 0 ? c.y : c.y + c.side;
      const room = Math.min(sx > 0 ? W - ax : ax, sy > 0 ? H - ay : ay);
      const side = Math.round(clamp(Math.max((p.x - ax) * sx, (p.y - ay) * sy), minSide(), room));
      set(sx > 0 ? ax : ax - side, sy > 0 ? ay : ay - side, side);
    });

    const endDrag = (e) => {
      if (drag && e.pointerId === drag.id) drag = null;
    };
    square.addEventListener("pointerup", endDrag);
    square.addEventListener("pointercancel", endDrag);

    square.addEventListener("keydown", (e) => {
      if (!crop || e.altKey || e.ctrlKey || e.metaKey) return;
      const step = Math.max(1, Math.round(Math.min(W, H) * (e.shiftKey ? 0.1 : 0.01)));
      const c = crop;
      let grow = 0;
      switch (e.key) {
        case "ArrowLeft": set(c.x - step, c.y, c.side); break;
        case "ArrowRight": set(c.x + step, c.y, c.side); break;
        case "ArrowUp": set(c.x, c.y - step, c.side); break;
        case "ArrowDown": set(c.x, c.y + step, c.side); break;
        case "+": case "=": grow = step; break;
        case "-": case "_": grow = -step; break;
        case "Home": setCentred(); break;
        default: return;
      }
      e.preventDefault();
      if (grow) {
        const side = clamp(c.side + grow, minSide(), Math.min(W, H));
        const half = (side - c.side) / 2;
        set(c.x - half, c.y - half, side);
      }
    });

    // A file may already be there (bfcache, browser restoring form state).
    if (input.files && input.files.length) load();
  }

  function tooLargeMessage(picker, file) {
    const field = picker.closest("[data-photo-field]");
    const max = field ? Number(field.dataset.maxBytes) : 0;
    if (!max || !file || file.size <= max) return "";
    const mb = (file.size / 1048576).toFixed(1);
    return (field.dataset.tooLarge || "This file is %(size)s MB: too large.").replace("%(size)s", mb);
  }

  function pickersIn(form) {
    return form ? [...form.querySelectorAll("[data-photo-field] [data-bound]")] : [];
  }

  function fileOf(picker) {
    const input = picker.querySelector('input[type="file"]');
    return input && input.files && input.files[0];
  }

  // Returns true (and shows the message) when a chosen file is over the limit.
  function blockTooLarge(form) {
    return pickersIn(form).some((picker) => {
      const msg = tooLargeMessage(picker, fileOf(picker));
      if (!msg) return false;
      const note = picker.querySelector(".photo-picker__note");
      if (note) {
        note.textContent = msg;
        note.classList.add("photo-picker__note--error");
      }
      return true;
    });
  }

  function formOf(elt) {
    return elt && elt.closest ? elt.closest("form") : null;
  }

  // The server may render the progress element; otherwise make one.
  function progressFor(form) {
    let box = form.querySelector(".upload-progress");
    if (!box) {
      box = make("div", "upload-progress");
      box.hidden = true;
      make("progress", "", box).max = 100;
      box.appendChild(document.createTextNode(" "));
      make("span", "upload-progress__label", box);
      const button = form.querySelector('button[type="submit"], button:not([type]), input[type="submit"]');
      if (button) button.parentNode.insertBefore(box, button);
      else form.appendChild(box);
    }
    return box;
  }

  function showProgress(box, percent, text) {
    const bar = box.querySelector("progress");
    const label = box.querySelector(".upload-progress__label");
    if (bar) {
      bar.setAttribute("aria-label", "Upload progress");
      bar.value = percent;
    }
    if (label) label.textContent = text;
    box.hidden = false;
  }

  // Capture phase so a plain (non-htmx) submit is stopped before anything else sees it.
  const stopSubmit = (e) => {
    if (blockTooLarge(e.target)) {
      e.preventDefault();
      e.stopPropagation();
    }
  };
  document.addEventListener("submit", stopSubmit, true);

  document.addEventListener("htmx:confirm", (e) => {
    if (blockTooLarge(formOf(e.detail.elt))) e.preventDefault();
  });

  document.addEventListener("htmx:beforeSend", (e) => {
    const form = formOf(e.detail.elt);
    const xhr = e.detail.xhr;
    if (!form || !xhr || !xhr.upload || !pickersIn(form).some(fileOf)) return;
    const box = progressFor(form);
    progressByXhr.set(xhr, box);
    const said = pickersIn(form).find(fileOf).querySelector(".upload-progress__said");
    let step = -1;
    const announce = (pct) => {
      const reached = Math.floor(pct / STEP_PERCENT) * STEP_PERCENT;
      if (said && reached !== step) said.textContent = `Uploading your photo: ${(step = reached)}%`;
    };
    showProgress(box, 0, "Uploading… 0%");
    announce(0);
    // xhr.upload reports the request body; the xhr's own progress is the response.
    xhr.upload.addEventListener("progress", (p) => {
      if (!p.lengthComputable) return;
      const pct = Math.min(99, Math.floor((p.loaded / p.total) * 100));
      showProgress(box, pct, `Uploading… ${pct}%`);
      announce(pct);
    });
    xhr.upload.addEventListener("load", () => {
      showProgress(box, 100, "Processing…");
      if (said) said.textContent = "Photo uploaded.";
    });
  });

  // htmx fires this on the old (maybe swapped-out) form and again on a parent,
  // so the progress element is looked up by request, not by event target.
  document.addEventListener("htmx:afterRequest", (e) => {
    const xhr = e.detail.xhr;
    const box = xhr && progressByXhr.get(xhr);
    if (!box) return;
    const header = (name) => xhr.getResponseHeader(name);
    const leaving =
      xhr.status >= 200 && xhr.status < 400 && !!(header("HX-Redirect") || header("HX-Location") || header("HX-Refresh") === "true");
    if (!leaving) box.hidden = true;
    progressByXhr.delete(xhr);
  });

  function init(root) {
    const scope = root && root.querySelectorAll ? root : document;
    const fields = [...scope.querySelectorAll("[data-photo-field]")];
    if (scope.matches && scope.matches("[data-photo-field]")) fields.push(scope);
    for (const field of fields) {
      const stage = field.querySelector(".photo-picker__stage");
      if (stage) bind(stage.parentNode);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", (e) => init(e.target));
})();
