// Small behaviours that plain HTML cannot express. No inline script anywhere (CSP).
(function () {
  "use strict";
  // Move focus to an error summary when a form comes back with errors, or else to what the
  // action produced (data-focus-after, e.g. a ballot's receipt), not to the page's body.
  function focusErrors(root) {
    var scope = root || document;
    var summary = scope.querySelector("[data-error-summary]") || scope.querySelector("[data-focus-after]");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusErrors(event.target); });
  // Ask before destructive actions marked with data-confirm.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  }, true);

  // ---- htmx requests: errors where people look -------------------------------------------
  // A form sent again with its errors (400, 422) is swapped in like any answer, so people see
  // what to correct; other failures swap nothing and say, in the page's language (the texts
  // are data-request-* attributes on <body>), what went wrong, next to what they pressed.
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      {code: "204", swap: false},
      {code: "[23]..", swap: true},
      {code: "^(400|422)$", swap: true},
      {code: "[45]..", swap: false, error: true},
      {code: "...", swap: false}
    ];
  }
  function problemHost(elt) {
    return (elt && elt.closest && elt.closest("form")) || elt;
  }
  function clearProblem(host) {
    var old = host && host.parentNode && host.parentNode.querySelector("[data-request-problem]");
    if (old && (old.parentNode === host || old.nextElementSibling === host)) { old.remove(); }
  }
  function showProblem(elt, kind) {
    var host = problemHost(elt);
    if (!host || !host.parentNode) { return; }
    clearProblem(host);
    var note = document.createElement("p");
    note.className = "message error request-problem";
    note.setAttribute("role", "alert");
    note.setAttribute("data-request-problem", kind);
    note.textContent = document.body.getAttribute("data-request-" + kind) || "";
    if (host.tagName === "FORM") { host.insertBefore(note, host.firstChild); }
    else { host.parentNode.insertBefore(note, host); }
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    clearProblem(problemHost(event.detail.elt));
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showProblem(event.detail.elt, status >= 500 ? "server" : "refused");
  });
  // A request answered with a whole page from elsewhere (signed out meanwhile: the login
  // page) is not squeezed into the fragment; the person goes there and comes back here after.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var config = event.detail.requestConfig;
    if (!event.detail.shouldSwap || !xhr || !xhr.responseURL || !config) { return; }
    var came = new URL(xhr.responseURL, window.location.href);
    var sent = new URL(config.path, window.location.href);
    if (came.pathname !== sent.pathname && /^\s*<!DOCTYPE/i.test(xhr.responseText)) {
      event.detail.shouldSwap = false;
      came.searchParams.set("next", window.location.pathname + window.location.search);
      window.location.assign(came.href);
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    showProblem(event.detail.elt, "network");
  });
})();
