/* Progressive enhancement for the leaflet pages: every page works without this file.
   - filters lists as you type (the search form also works as a plain GET);
   - updates the preview as you type, without adding history entries;
   - fetches leaflet pictures that were still being drawn;
   - numbers ticked sections on the build-your-own page.
   Nothing typed is stored: no localStorage, no cookies, no logging. */
(function () {
  "use strict";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  $all("[data-js-only]").forEach(function (el) { el.hidden = false; });

  var summary = $("[data-focus-on-load]");
  if (summary) { summary.focus(); }

  /* 1. Filter a list by every word typed. */
  $all("input[data-filter]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter"));
    if (!list) { return; }
    var count = document.getElementById(input.getAttribute("data-count") || "");
    var empty = document.getElementById(input.getAttribute("data-empty") || "");
    var noun = input.getAttribute("data-noun") || "item";
    var items = $all("[data-search]", list);
    var form = input.form;
    if (form && form.getAttribute("role") === "search") {
      form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    }
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var text = item.getAttribute("data-search") || "";
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      if (count) {
        var total = items.length + " " + noun + (items.length === 1 ? "" : "s");
        count.textContent = words.length ? shown + " of " + total + (shown === 1 ? " matches" : " match") : total;
      }
      if (empty) { empty.hidden = shown !== 0; }
    }
    input.addEventListener("input", apply);
    if (input.value || count) { apply(); }
  });

  /* 2. Pictures that were still being drawn: ask again every few seconds. */
  var pending = $all("img[data-pending]");
  var tries = 0;
  function retryPictures() {
    tries += 1;
    pending = pending.filter(function (img) {
      var url = img.src.split("?")[0];
      fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        var state = response.headers.get("X-Thumbnail");
        if (response.ok && state !== "pending") {
          if (state !== "failed") { img.src = url + "?ready=" + Date.now(); }
          img.removeAttribute("data-pending");
        }
      }).catch(function () { /* try again next round */ });
      return img.hasAttribute("data-pending");
    });
    if (pending.length && tries < 40) { window.setTimeout(retryPictures, 3000); }
  }
  if (pending.length) { window.setTimeout(retryPictures, 2000); }

  /* 3. Live preview: post the form with fetch and swap the frame's content in place. */
  var form = $("form[data-preview-form]");
  var frame = document.getElementById("preview");
  var previewButton = form ? $("[data-preview-button]", form) : null;
  if (form && frame && previewButton && window.fetch && window.DOMParser) {
    var timer = null;
    var sequence = 0;
    var previewUrl = previewButton.getAttribute("formaction");

    var update = function () {
      sequence += 1;
      var mine = sequence;
      var body = new URLSearchParams(new FormData(form));
      fetch(previewUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        cache: "no-store"
      }).then(function (response) { return response.text(); }).then(function (html) {
        if (mine !== sequence) { return; }
        var doc = frame.contentDocument;
        if (!doc || !doc.body) { form.requestSubmit(previewButton); return; }
        // The inline <style> holds only @page rules (paper size), which a screen ignores, and this page's
        // CSP allows no inline style: drop it before parsing. Typed text is escaped, so it holds no "<style".
        var fresh = new DOMParser().parseFromString(html.replace(/<style[\s\S]*?<\/style>/gi, ""), "text/html");
        var links = function (d) {
          return $all("link[rel=stylesheet]", d).map(function (l) { return l.getAttribute("href"); }).join(" ");
        };
        if (links(doc) !== links(fresh)) {
          doc.replaceChild(doc.importNode(fresh.documentElement, true), doc.documentElement);
        } else {
          doc.body.replaceWith(doc.importNode(fresh.body, true));
        }
      }).catch(function () { form.requestSubmit(previewButton); });
    };

    var schedule = function (delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, delay);
    };
    form.addEventListener("input", function () { schedule(700); });
    form.addEventListener("change", function () { schedule(150); });
    previewButton.addEventListener("click", function (event) { event.preventDefault(); schedule(0); });
  }

  /* 4. Build your own: a ticked section gets the next number; an unticked one loses it. */
  var sectionList = document.getElementById("section-list");
  if (sectionList) {
    sectionList.addEventListener("change", function (event) {
      var box = event.target;
      if (!box || box.type !== "checkbox") { return; }
      var order = document.getElementById("order-" + box.value);
      if (!order) { return; }
      if (box.checked && !order.value) {
        var highest = 0;
        $all(".order__input", sectionList).forEach(function (input) {
          var n = parseInt(input.value, 10);
          if (n > highest) { highest = n; }
        });
        order.value = String(highest + 1);
      } else if (!box.checked) {
        order.value = "";
      }
    });
  }
}());
