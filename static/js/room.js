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
  // Each control's done state. The sections are the same for every participant and carry
  // both states ([data-when]); #room-me, sent to this person alone, says which is theirs.
  function personalise() {
    var me = document.getElementById("room-me");
    var id = (me && me.getAttribute("data-participant")) || "";
    var present = !!(me && me.getAttribute("data-present"));
    var voted = ((me && me.getAttribute("data-voted")) || "").split(" ");
    var handUp = !!(id && document.querySelector('#room-queue [data-participant="' + id + '"]'));
    var speaking = !!(id && document.querySelector('#room-queue [data-speaker="' + id + '"]'));
    var seats = ((me && me.getAttribute("data-seats")) || "").split(" ");
    var states = {
      "chair": seats.indexOf("chair") >= 0, "secretary": seats.indexOf("secretary") >= 0,
      "absent": !present, "present": present,
      "hand-down": !handUp && !speaking, "hand-up": handUp, "speaking": speaking
    };
    document.querySelectorAll("[data-when]").forEach(function (el) {
      var when = el.getAttribute("data-when");
      var done = voted.indexOf(el.getAttribute("data-vote") || "-") >= 0;
      var show = when === "voted" ? done : when === "not-voted" ? !done : states[when];
      if (show !== undefined) { el.hidden = !show; }
    });
  }
  document.addEventListener("DOMContentLoaded", personalise);
  document.addEventListener("htmx:wsAfterMessage", personalise);
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
