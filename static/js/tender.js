/* One tender's public page: status, deadlines, Q&A and amendments follow live events. */
(function () {
  "use strict";

  var DEADLINES = ["questions_close_at", "registration_close_at", "bid_open_at", "bid_close_at", "opening_at"];
  var root;

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }

  function applySummary(tender) {
    window.Jangteo.setStatus(field("status"), tender.status);
    field("title").textContent = tender.title;
    field("notice_number").textContent = tender.notice_number;
    field("amendment_count").textContent = tender.amendment_count;
    DEADLINES.forEach(function (name) {
      var text = field(name);
      if (text) { text.textContent = window.Jangteo.formatKst(tender[name]); }
      var countdown = root.querySelector('time[data-deadline-field="' + name + '"]');
      if (countdown) { countdown.setAttribute("data-deadline", tender[name] || ""); }
    });
    var banner = field("cancel_reason");
    banner.hidden = tender.status !== "cancelled";
    field("cancel_reason_text").textContent = tender.cancel_reason || "";
    document.title = tender.title + " — Jangteo";
  }

  function listItem(parts) {
    var li = document.createElement("li");
    parts.forEach(function (p) {
      var el = document.createElement(p.tag || "p");
      if (p.className) { el.className = p.className; }
      el.textContent = p.text;
      li.appendChild(el);
    });
    return li;
  }

  function renderLists(detail) {
    var catalog = window.Jangteo.catalog();
    var questions = document.getElementById("questions");
    if (questions && detail.questions) {
      questions.textContent = "";
      detail.questions.forEach(function (q) {
        var li = listItem([{ text: q.text, className: "q" },
          q.answer ? { text: (catalog.answer || "Answer") + ": " + q.answer, className: "a" }
                   : { text: catalog.awaiting || "Awaiting answer", className: "a pending" }]);
        li.setAttribute("data-question-id", q.id);
        questions.appendChild(li);
      });
    }
    var amendments = document.getElementById("amendments");
    if (amendments && detail.amendments && detail.amendments.length) {
      amendments.textContent = "";
      detail.amendments.forEach(function (a) {
        amendments.appendChild(listItem([{ tag: "span", text: (catalog.amendment || "Amendment") + " " +
          a.number + " · " + window.Jangteo.formatKst(a.created_at) + " — " + a.reason }]));
      });
    }
    var documents = document.getElementById("documents");
    if (documents && detail.documents) {
      var latest = {};
      detail.documents.forEach(function (d) {
        if (!latest[d.title] || latest[d.title].version < d.version) { latest[d.title] = d; }
      });
      documents.textContent = "";
      Object.keys(latest).sort().forEach(function (title) {
        var d = latest[title], li = document.createElement("li"), a = document.createElement("a");
        a.href = d.url; a.textContent = d.title; li.appendChild(a);
        var meta = document.createElement("span"); meta.className = "meta";
        meta.textContent = " v" + d.version + " · SHA-256 " + d.sha256; li.appendChild(meta);
        documents.appendChild(li);
      });
    }
  }

  var lastRequest = 0;
  function refetchDetail() {
    var request = ++lastRequest;
    fetch(root.getAttribute("data-api"), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (detail) {
        // Only the newest request may render: an older answer may arrive last.
        if (detail && request === lastRequest) { renderLists(detail); }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("tender");
    if (!root) { return; }
    new window.Jangteo.LiveTopic(root.getAttribute("data-live-path"),
      parseInt(root.getAttribute("data-live-seq"), 10) || 0, {
        event: function (message) {
          if (message.data && message.data.tender) { applySummary(message.data.tender); }
          if (/question|amended/.test(message.kind)) { refetchDetail(); }
        },
        snapshot: function (data) {
          if (data.tender) { applySummary(data.tender); renderLists(data.tender); }
        }
      });
  });
})();
