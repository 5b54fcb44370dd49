/* A tender's opening, live: shares entered, envelopes opened, then every result, the reserve
 * prices and the opening private key. A designated officer enters their share here.
 * Everything shown comes from the public opening state (GET .../opening/) and the tender's
 * live events; before the opening completes that state holds nothing about any bid. */
(function () {
  "use strict";
  var root, config, labels;

  function field(name) { return root.querySelector('[data-opening="' + name + '"]'); }
  function won(amount) { return amount === null || amount === undefined ? "—" : amount.toLocaleString("ko-KR"); }
  function kst(iso) { return iso ? window.Jangteo.formatKst(iso) : "—"; }

  function cell(row, label, text, className) {
    var td = document.createElement("td");
    td.setAttribute("data-label", label);
    if (className) { td.className = className; }
    td.textContent = text;
    row.appendChild(td);
  }

  function renderResults(results) {
    var table = document.getElementById("results-table");
    var headers = Array.from(table.querySelectorAll("thead th"), function (th) { return th.textContent; });
    var tbody = table.querySelector("tbody");
    tbody.textContent = "";
    results.forEach(function (r) {
      var row = document.createElement("tr");
      row.setAttribute("data-bid", r.id);
      row.setAttribute("data-status", r.status);
      cell(row, headers[0], String(r.lot));
      cell(row, headers[1], r.supplier_name + " (" + r.supplier + ")");
      cell(row, headers[2], won(r.amount), "num");
      cell(row, headers[3], (r.reserve_picks || []).join(", "));
      cell(row, headers[4], labels.statuses[r.status] || r.status);
      cell(row, headers[5], r.rejection_reason || "");
      tbody.appendChild(row);
    });
  }

  function renderReservePrices(sets) {
    var holder = document.getElementById("reserve-prices");
    holder.textContent = "";
    sets.forEach(function (set) {
      if (!set.prices) { return; }
      var heading = document.createElement("h3");
      heading.textContent = labels.reservePrices.replace("%(lot)s", set.lot);
      holder.appendChild(heading);
      var table = document.createElement("table");
      table.className = "items reserve-prices";
      table.setAttribute("data-lot", set.lot);
      var head = table.createTHead().insertRow();
      [labels.number, labels.price].forEach(function (text) {
        var th = document.createElement("th"); th.scope = "col"; th.textContent = text; head.appendChild(th);
      });
      var body = table.createTBody();
      set.prices.forEach(function (price, index) {
        var row = body.insertRow();
        cell(row, labels.number, String(index + 1));
        cell(row, labels.price, won(price), "num");
      });
      holder.appendChild(table);
      var commitment = document.createElement("p");
      commitment.className = "hint";
      commitment.textContent = labels.commitment + ": " + set.commitment;
      holder.appendChild(commitment);
    });
  }

  function render(state) {
    field("entered").textContent = state.shares_entered;
    field("completed").textContent = kst(state.completed_at);
    var done = state.completed_at !== null;
    document.getElementById("opening-results").hidden = !done;
    document.getElementById("opening-before").hidden = done;
    document.getElementById("opening-after").hidden = !done;
    if (done) {
      renderResults(state.results || []);
      renderReservePrices(state.reserve_prices || []);
      field("private_key").textContent = state.private_key;
      var form = document.getElementById("share-form");
      if (form) { form.hidden = true; }
      root.setAttribute("data-opened", "true");
    }
  }

  var lastRequest = 0;
  function refetch() {
    var request = ++lastRequest;
    return fetch(config.state, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state && request === lastRequest) { render(state); } });
  }

  function onEvent(message) {
    var data = message.data || {};
    if (data.tender) { window.Jangteo.setStatus(root.querySelector("[data-field=status]"), data.tender.status); }
    if (message.kind === "opening.share_entered") { field("entered").textContent = data.entered; }
    if (message.kind === "opening.progress") {
      field("progress").textContent = data.done + " " + labels.of + " " + data.total;
    }
    // The completion event carries the results; the reserve prices and timestamps come with
    // the state, fetched once, a little apart for each watcher so thousands do not ask at once.
    if (message.kind === "opening.completed") {
      if (data.results) { renderResults(data.results); }
      setTimeout(refetch, Math.random() * 1500);
    }
  }

  function shareForm() {
    var form = document.getElementById("share-form");
    if (!form) { return; }
    var status = document.getElementById("share-status");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        var response = await fetch(config.share, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json",
                     "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
          body: JSON.stringify({ share: document.getElementById("share-words").value.trim() })
        });
        var body = await response.json().catch(function () { return {}; });
        if (!response.ok) { throw new Error(body.detail || response.statusText); }
        document.getElementById("share-words").value = "";
        status.className = "";
        status.textContent = body.key_rebuilt ? form.getAttribute("data-rebuilt")
          : form.getAttribute("data-entered") + " " + body.entered + " / " + body.needed;
        field("entered").textContent = body.entered;
        root.setAttribute("data-share-entered", "true");
      } catch (error) {
        status.className = "error";
        status.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("opening");
    if (!root) { return; }
    config = JSON.parse(document.getElementById("opening-config").textContent);
    labels = JSON.parse(document.getElementById("opening-labels").textContent);
    render(JSON.parse(document.getElementById("opening-state").textContent));
    shareForm();
    new window.Jangteo.LiveTopic(root.getAttribute("data-live-path"),
      parseInt(root.getAttribute("data-live-seq"), 10) || 0, {
        event: onEvent,
        snapshot: function (data) {
          if (data.tender) { window.Jangteo.setStatus(root.querySelector("[data-field=status]"), data.tender.status); }
          refetch();
        }
      });
  });
})();
