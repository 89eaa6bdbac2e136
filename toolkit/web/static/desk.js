// Drag and drop onto the upload box: the dropped files become the form's files. No library.
(function () {
  var drop = document.getElementById("drop"), input = document.getElementById("files");
  if (!drop || !input) { return; }
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) { input.files = e.dataTransfer.files; });
})();

// The period's matrix keeps up with uploads as they arrive: the page's own JSON (?format=json)
// is read every few seconds and each slot's class and words are set from it.
(function () {
  var table = document.getElementById("slots");
  if (!table || !window.fetch || !window.URL) { return; }
  var words = JSON.parse(table.getAttribute("data-words")), cells = {};
  table.querySelectorAll("td[data-slot]").forEach(function (cell) {
    cells[cell.getAttribute("data-slot")] = cell;
  });
  function show(cell, slot) {
    cell.className = slot.status;
    cell.textContent = words[slot.status] || slot.status;
    if (slot.superseded) {
      var note = document.createElement("small");
      note.textContent = "(" + words.superseded + " " + slot.superseded + ")";
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(note);
    }
  }
  function refresh() {
    var url = new URL(window.location.href);
    url.searchParams.set("format", "json");
    fetch(url.toString(), {credentials: "same-origin"}).then(function (reply) {
      return reply.ok ? reply.json() : null;
    }).then(function (data) {
      (data && data.branches || []).forEach(function (branch) {
        Object.keys(branch.slots).forEach(function (template) {
          var cell = cells[branch.code + "/" + template];
          if (cell) { show(cell, branch.slots[template]); }
        });
      });
    }).catch(function () {});
  }
  window.setInterval(refresh, 1000 * (parseInt(table.getAttribute("data-every"), 10) || 10));
})();
