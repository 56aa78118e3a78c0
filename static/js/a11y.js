// Accessibility helpers that every page gets from base.html. No inline script anywhere (CSP).
(function () {
  "use strict";

  // A table wider than a phone scrolls inside its .table-wrap; keyboard users must be able to
  // reach that scroll area, and screen readers should hear what it holds.
  function labelScrollers(root) {
    var wraps = (root || document).querySelectorAll(".table-wrap");
    Array.prototype.forEach.call(wraps, function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth + 1) {
        if (wrap.getAttribute("data-a11y-scroller")) {
          wrap.removeAttribute("tabindex");
          wrap.removeAttribute("data-a11y-scroller");
        }
        return;
      }
      if (wrap.hasAttribute("tabindex")) { return; }
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("data-a11y-scroller", "1");
      if (!wrap.getAttribute("role")) { wrap.setAttribute("role", "region"); }
      if (!wrap.getAttribute("aria-label") && !wrap.getAttribute("aria-labelledby")) {
        var caption = wrap.querySelector("caption");
        var heading = wrap.previousElementSibling;
        while (heading && !/^H[1-6]$/.test(heading.tagName)) { heading = heading.previousElementSibling; }
        var name = (caption || heading || {}).textContent || document.title;
        wrap.setAttribute("aria-label", name.trim());
      }
    });
  }

  // Dialogs: <button data-dialog-open="id"> opens <dialog id="id"> as a modal (the browser
  // keeps focus inside it); closing returns focus to the button that opened it.
  var opener = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dialog-open]");
    if (button) {
      var dialog = document.getElementById(button.getAttribute("data-dialog-open"));
      if (dialog && dialog.showModal) {
        event.preventDefault();
        opener = button;
        dialog.showModal();
      }
      return;
    }
    var closer = event.target.closest && event.target.closest("[data-dialog-close]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) { event.preventDefault(); open.close(); }
    }
  });
  document.addEventListener("close", function (event) {
    if (event.target.tagName === "DIALOG" && opener) {
      opener.focus();
      opener = null;
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { labelScrollers(document); });
  window.addEventListener("resize", function () { labelScrollers(document); });
  document.addEventListener("htmx:afterSwap", function (event) { labelScrollers(event.target); });
})();
