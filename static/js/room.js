// The live room: countdowns from server-sent deadlines, and a "live" marker while connected.
// Reconnection and fragment swaps are the htmx ws extension's job; the room's state always
// comes from the server, so this script only formats time.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.round(Number(el.getAttribute("data-deadline")) - now);
      if (left <= 0) {
        el.textContent = el.getAttribute("data-expired") || "0:00";
        el.classList.add("expired");
      } else {
        el.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
        el.classList.remove("expired");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:wsAfterMessage", tick);
  function marker(on) {
    document.querySelectorAll("[data-room-link]").forEach(function (el) { el.hidden = !on; });
    document.querySelectorAll("[data-room]").forEach(function (el) {
      el.setAttribute("data-connected", on ? "true" : "false");
    });
  }
  document.addEventListener("htmx:wsOpen", function () { marker(true); });
  document.addEventListener("htmx:wsClose", function () { marker(false); });
  // A command form clears its text fields once sent, so a second tap does not resend them.
  document.addEventListener("htmx:wsAfterSend", function (event) {
    var form = event.target;
    if (form && form.tagName === "FORM") {
      form.querySelectorAll("textarea").forEach(function (t) { t.value = ""; });
    }
  });
})();
