// The grading desk's only script, served as a file: its pages forbid inline script.
// Each question shows its live score; a question whose ticks or comment differ from what
// the page was loaded with says "unsaved changes", and leaving the page with any such
// question asks first (every Save saves them all, so only leaving can lose them).
(function () {
  var sections = document.querySelectorAll("section[data-max]");
  var list = document.querySelector("[data-unsaved-list]");
  var submitting = false;

  function state(section) {
    var ticked = [];
    section.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      ticked.push(box.value);
    });
    var comment = section.querySelector("textarea");
    return ticked.sort().join(" ") + "\n" + (comment ? comment.value.trim() : "");
  }

  function unsaved() {
    var names = [];
    sections.forEach(function (section) {
      if (section.dataset.dirty === "yes") { names.push(section.id.toUpperCase()); }
    });
    return names;
  }

  sections.forEach(function (section) {
    var live = section.querySelector("[data-live]"), most = parseFloat(section.dataset.max);
    var flag = section.querySelector("[data-unsaved]"), loaded = state(section);
    function update() {
      var total = 0;
      section.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
        total += parseFloat(box.dataset.points);
      });
      total = Math.max(0, Math.min(total, most));
      live.textContent = (Math.round(total * 1e4) / 1e4) + " / " + most;
      section.dataset.dirty = state(section) === loaded ? "no" : "yes";
      if (flag) { flag.hidden = section.dataset.dirty !== "yes"; }
      if (list) {
        var names = unsaved();
        list.hidden = names.length === 0;
        list.textContent = names.length ? "unsaved: " + names.join(", ") : "";
      }
    }
    section.addEventListener("change", update);
    section.addEventListener("input", update);
  });

  // Saving the marks form saves every change; another form (a Replace) would not.
  var marks = document.getElementById("marks");
  if (marks) { marks.addEventListener("submit", function () { submitting = true; }); }
  window.addEventListener("beforeunload", function (event) {
    if (submitting || unsaved().length === 0) { return; }
    event.preventDefault();
    event.returnValue = "Unsaved ticks on " + unsaved().join(", ");
    return event.returnValue;
  });
}());
