// The grading desk's only script, served as a file: its pages forbid inline script.
document.querySelectorAll("form[data-max]").forEach(function (form) {
  var live = form.querySelector("[data-live]"), most = parseFloat(form.dataset.max);
  form.addEventListener("change", function () {
    var total = 0;
    form.querySelectorAll("input[name=item]:checked").forEach(function (box) {
      total += parseFloat(box.dataset.points);
    });
    total = Math.max(0, Math.min(total, most));
    live.textContent = (Math.round(total * 1e4) / 1e4) + " / " + most;
  });
});
