// Customer signature boxes: <canvas data-signature-for="input-id">. signature_pad draws; on submit the
// drawing goes into the hidden input as a PNG data URL (the server validates it and refuses a blank one).
(function () {
  function setup(canvas) {
    var input = document.getElementById(canvas.dataset.signatureFor);
    var pad = new SignaturePad(canvas, { penColor: "#0b1f4b", minWidth: 1, maxWidth: 2.5 });
    function resize() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var data = pad.isEmpty() ? null : pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data) { pad.fromData(data); }
    }
    window.addEventListener("resize", resize);
    resize();
    var clear = document.querySelector('[data-signature-clear="' + canvas.id + '"]');
    if (clear) { clear.addEventListener("click", function () { pad.clear(); input.value = ""; }); }
    input.form.addEventListener("submit", function () {
      input.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    });
  }
  document.querySelectorAll("canvas[data-signature-for]").forEach(setup);
})();
