/* An evaluator's seats: the declaration and the score sheet, each signed in this browser
 * with the evaluator's non-extractable key; the server turns the scores into the canonical
 * statement, the key signs exactly those bytes. */
(function () {
  "use strict";
  var config, root, statusLine;
  // Scores typed but not yet signed, by seat, bid and criterion: a seat's step re-renders
  // every seat, and an evaluator sitting on several committees must not lose the others'.
  var typed = {};

  function say(text, isError) { statusLine.textContent = text; statusLine.className = isError ? "error" : ""; }
  function csrf() { return root.querySelector("[name=csrfmiddlewaretoken]").value; }
  function el(tag, text) { var n = document.createElement(tag); if (text !== undefined) { n.textContent = text; } return n; }
  function b64(bytes) {
    var s = "", view = new Uint8Array(bytes);
    for (var i = 0; i < view.length; i += 0x8000) { s += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000)); }
    return btoa(s);
  }
  function unb64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }

  async function api(path, body) {
    var response = await fetch(config.api + path, {
      method: body === undefined ? "GET" : "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    var answer = await response.json().catch(function () { return {}; });
    if (!response.ok) { throw new Error(answer.detail || JSON.stringify(answer)); }
    return answer;
  }

  async function sign(bytes, organisation) {
    // the evaluator's key for the buying agency: the newest kept in this browser
    var records = (await window.JangteoPki.keys.all()).filter(function (r) { return r.organisation === organisation; });
    records.sort(function (a, b) { return (b.createdAt || "").localeCompare(a.createdAt || ""); });
    if (!records.length) { throw new Error(root.getAttribute("data-no-key")); }
    var key = records[0];
    return b64(await window.JangteoPki.signDetached(key.privateKey, key.certificate, key.chain, bytes));
  }

  function renderSeat(seat) {
    var section = document.getElementById("seat-template").content.firstElementChild.cloneNode(true);
    section.setAttribute("data-seat", seat.id);
    section.querySelector('[data-f="title"]').textContent = seat.title + " · " + seat.ocid + " · " + seat.lot;
    var declaration = JSON.parse(new TextDecoder().decode(unb64(seat.declaration)));
    section.querySelector('[data-f="declaration-text"]').textContent = declaration.declaration;
    var bidders = section.querySelector('[data-f="bidders"]');
    declaration.bidders.forEach(function (b) { bidders.appendChild(el("li", b.name + " (" + b.supplier + ")")); });
    var done = section.querySelector('[data-f="done"]');
    if (seat.declared_at) {
      section.querySelector(".declare-form").hidden = true;
      done.textContent = root.getAttribute("data-declared") + " " + window.Jangteo.formatKst(seat.declared_at);
    }
    section.querySelector(".declare-form").addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        await api("committee/" + seat.id + "/declaration/", { signature: await sign(unb64(seat.declaration), seat.buyer) });
        await load();
      } catch (error) { say(error.message, true); }
    });
    if (seat.declared_at && !seat.submitted_at) { scoresheet(section, seat); }
    if (seat.submitted_at) {
      done.textContent += " · " + root.getAttribute("data-submitted") + " " + window.Jangteo.formatKst(seat.submitted_at);
    }
    return section;
  }

  function scoresheet(section, seat) {
    var form = section.querySelector(".scoresheet-form");
    form.hidden = false;
    var head = section.querySelector('[data-f="head"]'), rows = section.querySelector('[data-f="rows"]');
    seat.criteria.forEach(function (c) { head.appendChild(el("th", (c.name || c.code) + " (" + c.points + ")")); });
    seat.bids.forEach(function (bid) {
      var row = rows.insertRow();
      row.setAttribute("data-bid", bid.bid);
      row.appendChild(el("td", bid.name + " (" + bid.supplier + ")"));
      seat.criteria.forEach(function (c) {
        var cell = el("td"), input = el("input");
        input.setAttribute("inputmode", "decimal");
        input.setAttribute("data-criterion", c.code);
        input.setAttribute("aria-label", bid.name + " · " + (c.name || c.code));
        input.required = true;
        var place = seat.id + "|" + bid.bid + "|" + c.code;
        input.value = typed[place] || "";
        input.addEventListener("input", function () { typed[place] = input.value; });
        cell.appendChild(input);
        row.appendChild(cell);
      });
    });
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var scores = [];
      rows.querySelectorAll("tr").forEach(function (row) {
        row.querySelectorAll("input").forEach(function (input) {
          scores.push({ bid: row.getAttribute("data-bid"), criterion: input.getAttribute("data-criterion"),
                        score: input.value.trim() });
        });
      });
      try {
        var statement = await api("committee/" + seat.id + "/scoresheet/", { scores: scores });
        await api("committee/" + seat.id + "/scoresheet/",
                  { scores: scores, signature: await sign(unb64(statement.statement), seat.buyer) });
        Object.keys(typed).forEach(function (place) {
          if (place.indexOf(seat.id + "|") === 0) { delete typed[place]; }
        });
        await load();
      } catch (error) { say(error.message, true); }
    });
  }

  async function load() {
    var seats = await api("committee/");
    var holder = document.getElementById("seats");
    if (seats.length) { holder.textContent = ""; }
    seats.forEach(function (seat) { holder.appendChild(renderSeat(seat)); });
    root.setAttribute("data-ready", String(Date.now()));
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("committee");
    if (!root) { return; }
    config = JSON.parse(document.getElementById("committee-config").textContent);
    statusLine = document.getElementById("committee-status");
    load().catch(function (error) { say(error.message, true); });
  });
})();
