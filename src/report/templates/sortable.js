// Sortable tables: click (or Enter on) a header of a table.sortable to sort
// its rows by that column; again to reverse. Cells may carry their sort key
// in data-sort; columns with class "num" sort as numbers, blanks last.
(function () {
  "use strict";
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    var headers = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(headers, function (th, column) {
      var numeric = th.classList.contains("num");
      var key = function (row) {
        var cell = row.cells[column];
        if (!cell) { return ""; }
        var given = cell.getAttribute("data-sort");
        return given === null ? cell.textContent.trim() : given;
      };
      var compare = function (ascending) {
        return function (a, b) {
          var x = key(a), y = key(b);
          if (numeric) {
            var nx = x === "" ? NaN : Number(x), ny = y === "" ? NaN : Number(y);
            if (isNaN(nx) || isNaN(ny)) { return isNaN(nx) - isNaN(ny); }
            return ascending ? nx - ny : ny - nx;
          }
          return ascending ? x.localeCompare(y) : y.localeCompare(x);
        };
      };
      var sort = function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(compare(ascending));
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        rows.forEach(function (row) { body.appendChild(row); });
      };
      th.tabIndex = 0;
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
})();
