/* Progressive enhancement for the leaflet pages: every page works without this file.
   - filters lists as you type (the search form also works as a plain GET); the leaflet list asks the
     server which leaflets match, so ICD-10 codes and words match exactly as without JavaScript;
   - makes the PDF with fetch, then shows the teach-back questions and records "understanding checked";
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
    /* The words come from the server in the page's language, one text per count (plurals differ by language). */
    var texts = JSON.parse(input.getAttribute("data-texts") || "null");
    function countText(shown, typed) {
      if (!texts) { return ""; }
      if (!typed) { return texts.all; }
      return (texts.found[shown] || texts.all).split(texts.placeholder).join(typed);
    }
    var items = $all("[data-search]", list);
    var form = input.form;
    if (form && form.getAttribute("role") === "search") {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!input.getAttribute("data-filter-url") || !window.fetch) { apply(); }
      });
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
      if (count) { count.textContent = countText(shown, words.length ? input.value.trim() : ""); }
      if (empty) { empty.hidden = shown !== 0; }
    }
    /* The leaflet list: the server says which match, best first (codes by prefix, words by title). */
    var url = input.getAttribute("data-filter-url");
    var original = items.slice();
    var asked = 0;
    function applyFromServer() {
      var text = input.value.trim();
      if (!text) { show(original.map(function (item) { return item.getAttribute("data-id"); })); return; }
      asked += 1;
      var mine = asked;
      fetch(url + "?q=" + encodeURIComponent(text), { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { if (!response.ok) { throw new Error("search"); } return response.json(); })
        .then(function (found) {
          if (mine === asked) { show(found.map(function (leaflet) { return leaflet.id; })); }
        })
        .catch(function () { if (mine === asked) { apply(); } });
    }
    function show(ids) {
      var byId = {};
      original.forEach(function (item) { byId[item.getAttribute("data-id")] = item; });
      var matched = ids.filter(function (id) { return byId[id]; });
      matched.forEach(function (id) { list.appendChild(byId[id]); byId[id].hidden = false; });
      original.forEach(function (item) {
        if (matched.indexOf(item.getAttribute("data-id")) === -1) { list.appendChild(item); item.hidden = true; }
      });
      if (count) { count.textContent = countText(matched.length, input.value.trim()); }
      if (empty) { empty.hidden = matched.length !== 0; }
    }
    if (url && window.fetch) {
      var timer = null;
      if (form && form.getAttribute("role") === "search") {
        form.addEventListener("submit", function () { window.clearTimeout(timer); applyFromServer(); });
      }
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(applyFromServer, 150);
      });
      return;
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

  /* 4. Make the PDF with fetch, so the page can then ask the teach-back questions and record the answer. */
  var handoutForm = $("form[data-handout-form]");
  var teachBack = $("[data-teach-back]");
  if (handoutForm && window.fetch && window.Blob && window.URL && URL.createObjectURL) {
    if (teachBack) { teachBack.hidden = true; }
    handoutForm.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.name !== "action" || button.hasAttribute("formaction")) { return; }
      event.preventDefault();
      var printing = button.value === "print";
      var tab = printing ? window.open("", "_blank") : null;  // opened now: a later window.open is blocked
      var body = new FormData(handoutForm);
      body.append("action", button.value);
      button.disabled = true;
      // getAttribute: form.action would be the buttons named "action"
      fetch(handoutForm.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("application/pdf") !== 0) {
            return response.text().then(function (html) {
              if (tab) { tab.close(); }
              document.open(); document.write(html); document.close();  // the form's problems, or the error
            });
          }
          var handout = response.headers.get("X-Handout-Id");
          var name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
          return response.blob().then(function (pdf) {
            var link = URL.createObjectURL(pdf);
            if (tab) {
              tab.location.href = link;
            } else {
              var a = document.createElement("a");
              a.href = link;
              a.download = name ? name[1] : "leaflet.pdf";
              document.body.appendChild(a);
              a.click();
              a.remove();
            }
            window.setTimeout(function () { URL.revokeObjectURL(link); }, 60000);
            showTeachBack(handout);
          });
        })
        .catch(function () { if (tab) { tab.close(); } handoutForm.submit(); })
        .then(function () { button.disabled = false; });
    });
  }

  function showTeachBack(handout) {
    if (!teachBack) { return; }
    var recordForm = $("[data-teach-back-form]", teachBack);
    var status = $("[data-teach-back-status]", teachBack);
    $("[data-teach-back-ready]", teachBack).hidden = false;
    recordForm.hidden = !handout;
    $("[data-teach-back-unrecorded]", teachBack).hidden = !!handout;
    if (handout) {
      recordForm.setAttribute("action", "/api/handouts/" + encodeURIComponent(handout) + "/teach-back");
      status.textContent = "";
      $("input[type=checkbox]", recordForm).checked = false;
    }
    teachBack.hidden = false;
    $("h2", teachBack).focus();
  }

  var teachBackForm = $("[data-teach-back-form]");
  if (teachBackForm && window.fetch) {
    teachBackForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = $("[data-teach-back-status]", teachBackForm);
      // The note has no name, so FormData leaves it out: it never leaves this page.
      fetch(teachBackForm.getAttribute("action"), {
        method: "POST", body: new FormData(teachBackForm), credentials: "same-origin", cache: "no-store"
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok || !answer.teach_back) { throw { said: answer.error || "" }; }
          status.textContent = status.getAttribute(answer.teach_back === "done" ? "data-saved-done" : "data-saved-not-done");
        });
      }).catch(function (error) {
        // The server's message is in the page's language; a network failure gets the page's own words.
        var why = (error && error.said) || status.getAttribute("data-not-reached");
        status.textContent = status.getAttribute("data-not-saved").split("%(why)s").join(why);
      });
    });
  }

  /* 5. Build your own: a ticked section gets the next number; an unticked one loses it. */
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
