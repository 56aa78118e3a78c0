// A show/hide button after each password box marked data-password-reveal. The button exists
// only when this script runs, so without script the form is a plain password form.
(function () {
  "use strict";
  function addReveal(input) {
    if (input.getAttribute("data-password-reveal-ready")) { return; }
    input.setAttribute("data-password-reveal-ready", "1");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary password-reveal";
    button.setAttribute("aria-controls", input.id);
    button.textContent = input.getAttribute("data-show-label");
    button.addEventListener("click", function () {
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      button.textContent = input.getAttribute(show ? "data-hide-label" : "data-show-label");
    });
    // Whatever was typed is sent as a password again: browsers offer to save it as one.
    if (input.form) {
      input.form.addEventListener("submit", function () { input.type = "password"; });
    }
    input.insertAdjacentElement("afterend", button);
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-password-reveal]"), addReveal);
  });
})();
