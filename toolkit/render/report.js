(function () {
  var table = document.getElementById("findings");
  if (!table) { return; }
  var body = table.tBodies[0], shown = document.getElementById("shown");
  var pick = ["branch", "template", "severity"].map(function (k) {
    return [k, document.getElementById("f-" + k)];
  });
  function filter() {
    var n = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var ok = pick.every(function (p) {
        return !p[1].value || row.getAttribute("data-" + p[0]) === p[1].value;
      });
      row.style.display = ok ? "" : "none";
      n += ok ? 1 : 0;
    });
    shown.textContent = shown.getAttribute("data-words").replace("{n}", n);
  }
  pick.forEach(function (p) { p[1].addEventListener("change", filter); });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head, col) {
    head.addEventListener("click", function () {
      var down = head.getAttribute("data-down") !== "1";
      head.setAttribute("data-down", down ? "1" : "0");
      var rows = Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = a.cells[col].textContent, y = b.cells[col].textContent;
        return (down ? 1 : -1) * x.localeCompare(y, "zh-CN", {numeric: true});
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  filter();
})();
