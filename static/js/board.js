/* The public board: rows update, and newly published tenders appear, as events arrive. */
(function () {
  "use strict";

  function formatKrw(amount) {
    return "₩" + Number(amount || 0).toLocaleString("en-US");
  }

  function cell(label, text) {
    var td = document.createElement("td");
    td.setAttribute("data-label", label);
    if (text !== undefined) { td.textContent = text; }
    return td;
  }

  function labels() {
    var heads = document.querySelectorAll("table.tenders thead th");
    return Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
  }

  function buildRow(tender) {
    var l = labels();
    var tr = document.createElement("tr");
    tr.setAttribute("data-tender-id", tender.id);
    tr.setAttribute("data-status", tender.status);
    var notice = cell(l[0], tender.notice_number); notice.setAttribute("data-field", "notice_number");
    var titleCell = cell(l[1]);
    var link = document.createElement("a");
    link.href = "/tenders/" + tender.id + "/"; link.textContent = tender.title;
    link.setAttribute("data-field", "title");
    titleCell.appendChild(link);
    var amount = cell(l[4], formatKrw(tender.total_amount)); amount.className = "num";
    var deadline = cell(l[5]);
    var deadlineText = document.createElement("span"); deadlineText.setAttribute("data-field", "bid_close_at");
    var countdown = document.createElement("time"); countdown.className = "countdown";
    deadline.appendChild(deadlineText); deadline.appendChild(countdown);
    var statusCell = cell(l[6]);
    var badge = document.createElement("span"); badge.setAttribute("data-field", "status");
    statusCell.appendChild(badge);
    [notice, titleCell, cell(l[2], tender.buyer.name), cell(l[3], tender.procedure.name), amount,
     deadline, statusCell].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }

  function update(row, tender) {
    window.Jangteo.setStatus(row.querySelector("[data-field=status]"), tender.status);
    var fields = { title: tender.title, notice_number: tender.notice_number,
                   bid_close_at: window.Jangteo.formatKst(tender.bid_close_at) };
    Object.keys(fields).forEach(function (name) {
      var el = row.querySelector("[data-field=" + name + "]");
      if (el) { el.textContent = fields[name]; }
    });
    var countdown = row.querySelector("time.countdown");
    if (countdown) { countdown.setAttribute("data-deadline", tender.bid_close_at || ""); }
    row.classList.remove("flash"); void row.offsetWidth; row.classList.add("flash");
  }

  function apply(tender, isNew) {
    var rows = document.getElementById("board-rows");
    var row = rows.querySelector('tr[data-tender-id="' + tender.id + '"]');
    if (!row) {
      // Only the unfiltered first page shows newly published tenders at the top.
      if (!isNew || document.getElementById("board").getAttribute("data-filtered") === "1") { return; }
      var empty = rows.querySelector("tr.empty");
      if (empty) { empty.remove(); }
      row = buildRow(tender);
      rows.insertBefore(row, rows.firstChild);
    }
    update(row, tender);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("board");
    if (!board) { return; }
    new window.Jangteo.LiveTopic(board.getAttribute("data-live-path"),
      parseInt(board.getAttribute("data-live-seq"), 10) || 0, {
        event: function (message) {
          if (message.data && message.data.tender) {
            apply(message.data.tender, message.kind === "tender.published");
          }
        },
        snapshot: function (data) {
          (data.tenders || []).slice().reverse().forEach(function (t) { apply(t, true); });
        }
      });
  });
})();
