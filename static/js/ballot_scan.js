// Teller entry: read the QR code printed on a paper ballot with the phone's camera, through the
// browser's own BarcodeDetector. Where the browser has none (or no camera), the button stays
// hidden and the teller types the entry code printed under the QR code instead.
(function () {
  "use strict";

  function start(button) {
    var input = document.getElementById(button.getAttribute("data-scan-ballot"));
    var form = input && input.form;
    var video = form && form.querySelector("[data-scan-video]");
    var status = form && form.querySelector("[data-scan-status]");
    if (!video) {
      return;
    }
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    var stream = null;

    function stop() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        stream = null;
      }
      video.hidden = true;
    }

    function look() {
      if (!stream) {
        return;
      }
      detector.detect(video).then(function (codes) {
        if (codes.length) {
          stop();
          input.value = codes[0].rawValue;
          form.submit();
        } else {
          window.requestAnimationFrame(look);
        }
      }, function () {
        window.requestAnimationFrame(look);
      });
    }

    button.addEventListener("click", function () {
      if (stream) {
        stop();
        return;
      }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          return video.play();
        })
        .then(look)
        .catch(function () {
          stop();
          if (status) {
            status.textContent = button.getAttribute("data-no-camera") || "";
          }
        });
    });
  }

  function init() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
        !navigator.mediaDevices.getUserMedia) {
      return;
    }
    document.querySelectorAll("[data-scan-ballot]").forEach(function (button) {
      button.hidden = false;
      start(button);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
