/* The supplier's bid page: sign and seal a bid in this browser, submit the envelope, show
 * the receipt; list the company's envelopes and receipts; withdraw with a signed statement.
 * The amount, picks and documents never leave the page unsealed: the inputs have no names,
 * and only {envelope, signature} goes to the API. */
(function () {
  "use strict";
  var config, form, statusLine;
  var Seal = function () { return window.JangteoSeal; };

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.className = isError ? "error" : "";
  }
  function csrfToken() { return form.querySelector("[name=csrfmiddlewaretoken]").value; }
  function formatKst(iso) { return window.Jangteo ? window.Jangteo.formatKst(iso) : iso; }

  async function api(url, options) {
    var response = await fetch(url, Object.assign({ credentials: "same-origin" }, options, {
      headers: Object.assign({ Accept: "application/json", "X-CSRFToken": csrfToken() },
                             (options || {}).headers || {})
    }));
    var body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      var error = new Error((body && (body.detail || JSON.stringify(body))) || response.statusText);
      error.status = response.status;
      error.code = body && body.code;
      throw error;
    }
    return body;
  }

  // --- keys of the chosen company -------------------------------------------------------
  var keyRecords = [];
  async function loadKeys() {
    try { keyRecords = await window.JangteoPki.keys.all(); } catch (e) { keyRecords = []; }
    showKeys();
  }
  function keysOf(brn) {
    return keyRecords.filter(function (r) { return r.organisation === brn; })
      .sort(function (a, b) { return (b.createdAt || "").localeCompare(a.createdAt || ""); });
  }
  function showKeys() {
    var select = document.getElementById("bid-key");
    select.textContent = "";
    keysOf(document.getElementById("bid-company").value).forEach(function (record) {
      var option = document.createElement("option");
      option.value = record.serial;
      option.textContent = record.serial + (record.createdAt ? " · " + record.createdAt.slice(0, 10) : "");
      select.appendChild(option);
    });
  }
  function chosenKey(brn, serial) {
    return keysOf(brn).filter(function (r) { return !serial || r.serial === serial; })[0] || null;
  }

  // --- reading the form -----------------------------------------------------------------
  function amountOf() {
    var text = document.getElementById("bid-amount").value.replace(/[,\s]/g, "");
    if (!/^[0-9]{1,16}$/.test(text)) { return null; }
    var amount = Number(text);
    return amount > 0 && Number.isSafeInteger(amount) ? amount : null;
  }
  function picksOf() {
    return Array.from(document.querySelectorAll("#bid-picks input:checked"), function (box) {
      return parseInt(box.value, 10);
    }).sort(function (a, b) { return a - b; });
  }
  async function documentsOf() {
    var files = Array.from(document.getElementById("bid-documents").files || []);
    var names = new Set(), out = [];
    for (var i = 0; i < files.length; i++) {
      var name = files[i].name;
      if (!name || name.length > 200 || /[\/\\]/.test(name) || names.has(name)) { return null; }
      names.add(name);
      out.push({ name: name, bytes: new Uint8Array(await files[i].arrayBuffer()) });
    }
    return out;
  }

  // --- submitting -----------------------------------------------------------------------
  async function send(lot, body, idempotencyKey) {
    var url = config.submit.replace("{lot}", lot);
    var options = { method: "POST", body: body,
                    headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey } };
    for (var attempt = 0; ; attempt++) {
      try {
        return await api(url, options);
      } catch (error) {
        // Only a lost connection is retried, with the same key: the platform answers a retry
        // with the first receipt, never a second bid.
        if (error.status !== undefined || attempt >= 2) { throw error; }
        say(form.getAttribute("data-network"), true);
        await new Promise(function (resolve) { setTimeout(resolve, 1000 * (attempt + 1)); });
      }
    }
  }

  function showReceipt(receipt) {
    var section = document.getElementById("bid-receipt");
    var body = receipt.receipt;
    section.querySelector('[data-receipt="number"]').textContent = receipt.number;
    section.querySelector('[data-receipt="received_at"]').textContent = formatKst(body.received_at);
    section.querySelector('[data-receipt="envelope_sha256"]').textContent = body.envelope_sha256 || "";
    section.querySelector('[data-receipt="replaces"]').textContent = body.replaces || body.withdraws || "—";
    section.querySelector('[data-receipt="download"]').href = config.receipt.replace("{number}", receipt.number);
    section.hidden = false;
    document.documentElement.setAttribute("data-receipt", receipt.number);
  }

  async function submit(event) {
    event.preventDefault();
    var supplier = document.getElementById("bid-company").value;
    var lot = parseInt(document.getElementById("bid-lot").value, 10);
    var amount = amountOf();
    if (amount === null) { say(form.getAttribute("data-amount"), true); return; }
    var picks = config.picks ? picksOf() : [];
    if (picks.length !== config.picks) { say(form.getAttribute("data-picks"), true); return; }
    var documents = await documentsOf();
    if (documents === null) { say(form.getAttribute("data-documents"), true); return; }
    var key = chosenKey(supplier, document.getElementById("bid-key").value);
    if (!key) { say(form.getAttribute("data-no-key"), true); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      say(form.getAttribute("data-working"));
      var sealedBid = await Seal().envelope({
        tender: config.tender, lot: lot, supplier: supplier, amount: amount, picks: picks,
        documents: documents, publicKey: config.publicKey, key: key
      });
      say(form.getAttribute("data-sending"));
      var body = JSON.stringify({ envelope: Seal().b64(sealedBid.sealed),
                                  signature: Seal().b64(sealedBid.outer) });
      var bid = await send(lot, body, crypto.randomUUID());
      var receipt = bid.receipts[bid.receipts.length - 1];
      showReceipt(receipt);
      say(form.getAttribute("data-done") + " " + receipt.number);
      form.reset();
      showKeys();
      await refresh();
    } catch (error) {
      say(error instanceof RangeError ? form.getAttribute("data-too-large") : error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // --- the company's envelopes ----------------------------------------------------------
  var statusLabels = {};
  function cell(row, label, content) {
    var td = document.createElement("td");
    td.setAttribute("data-label", label);
    if (typeof content === "string") { td.textContent = content; } else if (content) { td.appendChild(content); }
    row.appendChild(td);
    return td;
  }
  function companyName(brn) {
    var found = config.companies.filter(function (c) { return c.brn === brn; })[0];
    return found ? found.name : brn;
  }

  async function refresh() {
    var bids = await api(config.myBids);
    var table = document.getElementById("my-bids");
    var headers = Array.from(table.querySelectorAll("thead th"), function (th) { return th.textContent; });
    var tbody = table.querySelector("tbody");
    if (!bids.length) { return; }
    tbody.textContent = "";
    bids.forEach(function (bid) {
      var row = document.createElement("tr");
      row.setAttribute("data-bid", bid.id);
      row.setAttribute("data-status", bid.status);
      cell(row, headers[0], String(bid.lot) + (config.lots[bid.lot] ? " · " + config.lots[bid.lot] : ""));
      cell(row, headers[1], companyName(bid.supplier));
      cell(row, headers[2], formatKst(bid.received_at));
      var status = document.createElement("span");
      status.className = "status bid-" + bid.status;
      status.textContent = statusLabels[bid.status] || bid.status;
      cell(row, headers[3], status);
      var receipts = document.createElement("span");
      bid.receipts.forEach(function (receipt) {
        var a = document.createElement("a");
        a.href = config.receipt.replace("{number}", receipt.number);
        a.textContent = receipt.number;
        receipts.appendChild(a);
        receipts.appendChild(document.createTextNode(" "));
      });
      cell(row, headers[4], receipts);
      var actions = cell(row, "", null);
      // Offered while the envelope counts; after the deadline the platform refuses it and says so.
      if (bid.status === "sealed") {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "danger";
        button.textContent = table.getAttribute("data-withdraw");
        button.addEventListener("click", function () { withdraw(bid, button); });
        actions.appendChild(button);
      }
      tbody.appendChild(row);
    });
  }

  async function withdraw(bid, button) {
    var table = document.getElementById("my-bids");
    if (!window.confirm(table.getAttribute("data-confirm"))) { return; }
    var key = chosenKey(bid.supplier, null);
    if (!key) { say(form.getAttribute("data-no-key"), true); return; }
    button.disabled = true;
    try {
      var statement = Seal().withdrawal({ tender: bid.tender, lot: bid.lot, supplier: bid.supplier,
                                          envelopeSha256: bid.sha256 });
      var signature = await window.JangteoPki.signDetached(key.privateKey, key.certificate, key.chain, statement);
      var receipt = await api(config.withdraw.replace("{bid}", bid.id), {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ statement: Seal().b64(statement), signature: Seal().b64(signature) })
      });
      showReceipt(receipt);
      say(table.getAttribute("data-withdrawn") + " " + receipt.number);
      await refresh();
    } catch (error) {
      say(error.message, true);
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("bid-config");
    form = document.getElementById("bid-form");
    if (!node || !form) { return; }
    config = JSON.parse(node.textContent);
    statusLine = document.getElementById("bid-status");
    statusLabels = config.statuses;
    if (!window.crypto || !crypto.subtle || !window.indexedDB || !window.JangteoHpke) {
      say(form.getAttribute("data-unsupported"), true);
      return;
    }
    // The banner follows the platform's clock (the page may be opened before the window).
    var banner = document.getElementById("bid-closed");
    var openAt = Date.parse(banner.getAttribute("data-open-at"));
    var closeAt = Date.parse(banner.getAttribute("data-close-at"));
    setInterval(function () {
      var now = window.Jangteo.serverNow();
      banner.hidden = now >= openAt && now < closeAt;
    }, 1000);
    document.getElementById("bid-company").addEventListener("change", showKeys);
    form.addEventListener("submit", submit);
    loadKeys().then(refresh).then(function () {
      document.documentElement.setAttribute("data-bid-ready", "true");
    }, function (error) { say(error.message, true); });
  });
})();
