/* A tender's evaluation and award, live: every lot's estimate, reviews, award and complaints
 * docket, re-rendered from GET .../evaluation/ whenever the tender's topic says something
 * changed. The officer (disqualify, score, sign and award, re-tender), a bidder of the lot
 * (complain) and the review body (decide) act here through the API; the officer's award
 * statement is signed in this page with their non-extractable key (JangteoPki). */
(function () {
  "use strict";
  var root, config, labels, statusLine;

  function say(text, isError) { statusLine.textContent = text; statusLine.className = isError ? "error" : ""; }
  function csrf() { return document.querySelector("[name=csrfmiddlewaretoken]").value; }
  function won(n) { return n === null || n === undefined ? "—" : Number(n).toLocaleString("ko-KR"); }
  function kst(iso) { return iso ? window.Jangteo.formatKst(iso) : "—"; }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }
  function fill(scope, name, text) { scope.querySelector('[data-f="' + name + '"]').textContent = text; }

  async function api(path, body) {
    var response = await fetch(config.api + path, {
      method: body === undefined ? "GET" : "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    var answer = await response.json().catch(function () { return {}; });
    if (!response.ok) { throw new Error(answer.detail || JSON.stringify(answer) || response.statusText); }
    return answer;
  }
  function b64(bytes) {
    var s = "", view = new Uint8Array(bytes);
    for (var i = 0; i < view.length; i += 0x8000) { s += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000)); }
    return btoa(s);
  }

  // --- rendering -----------------------------------------------------------------------------
  function renderEstimate(section, estimate) {
    var box = section.querySelector('[data-f="estimate"]');
    if (!estimate) { return; }
    box.hidden = false;
    fill(box, "estimated", won(estimate.estimated));
    fill(box, "floor", won(estimate.floor));
    fill(box, "rate", estimate.floor_rate_pct);
    var body = box.querySelector('[data-f="prices"]');
    estimate.prices.forEach(function (price, index) {
      var number = index + 1, row = body.insertRow();
      var chosen = estimate.chosen.indexOf(number) >= 0;
      row.setAttribute("data-number", number);
      if (chosen) { row.className = "chosen"; }
      [String(number), won(price), String(estimate.pick_counts[String(number)] || 0), chosen ? "●" : ""]
        .forEach(function (text, i) { row.appendChild(el("td", text, i === 1 || i === 2 ? "num" : "")); });
    });
  }

  function scoreText(review) {
    if (review.total_score === null) { return review.technical_score ? labels.technical + " " + review.technical_score : ""; }
    var parts = [];
    if (review.capability_score) { parts.push(labels.capability + " " + review.capability_score); }
    if (review.technical_score) { parts.push(labels.technical + " " + review.technical_score); }
    parts.push(labels.price + " " + review.price_score, labels.total + " " + review.total_score);
    return parts.join(" · ");
  }

  function renderReviews(section, lot) {
    var body = section.querySelector('[data-f="reviews"]');
    lot.reviews.slice().sort(function (a, b) { return (a.rank || 999) - (b.rank || 999) || a.amount - b.amount; })
      .forEach(function (review) {
        var row = body.insertRow();
        row.setAttribute("data-review", review.review);
        row.setAttribute("data-status", review.status);
        row.setAttribute("data-supplier", review.supplier);
        [review.rank ? String(review.rank) : "—", review.supplier_name + " (" + review.supplier + ")",
         won(review.amount), labels.reviews[review.status] || review.status, scoreText(review),
         review.reason || review.evidence || ""].forEach(function (text, i) {
          row.appendChild(el("td", text, i === 2 || i === 4 ? "num" : ""));
        });
        row.appendChild(el("td"));
      });
  }

  function renderAwards(section, lot) {
    var box = section.querySelector('[data-f="awards"]');
    lot.awards.forEach(function (award) {
      var notice = el("div", null, "award-notice");
      notice.setAttribute("data-award", award.award);
      notice.setAttribute("data-status", award.status);
      notice.appendChild(el("h3", labels.awardTitle + " · " + (labels.awards[award.status] || award.status)));
      var facts = el("dl", null, "facts");
      var review = lot.reviews.filter(function (r) { return r.review && r.bid === award.bid; })[0];
      [[labels.awardedTo, (review ? review.supplier_name + " " : "") + "(" + award.supplier + ") · " + won(award.amount)],
       [labels.standstill, kst(award.standstill_until)], [labels.signer, award.signer_certificate]]
        .concat(award.reason ? [[labels.reason, award.reason]] : [])
        .forEach(function (pair) { facts.appendChild(el("dt", pair[0])); facts.appendChild(el("dd", pair[1])); });
      notice.appendChild(facts);
      box.appendChild(notice);
    });
  }

  // Best value, after the award: every member's signed scores, as submitted.
  function renderMemberScores(section, lot) {
    if (!lot.member_scores || !lot.criteria) { return; }
    var box = section.querySelector('[data-f="awards"]');
    box.appendChild(el("h3", labels.memberScores));
    var table = el("table", null, "tenders member-scores"), head = table.createTHead().insertRow();
    [labels.member, labels.bid].concat(lot.criteria.map(function (c) { return c.name + " (" + c.points + ")"; }))
      .forEach(function (text) { head.appendChild(el("th", text)); });
    var body = table.createTBody();
    var names = {};
    lot.reviews.forEach(function (r) { names[r.bid] = r.supplier_name; });
    lot.member_scores.forEach(function (member, index) {
      var byBid = {};
      member.scores.forEach(function (s) { (byBid[s.bid] = byBid[s.bid] || {})[s.criterion] = s.score; });
      Object.keys(byBid).forEach(function (bid) {
        var row = body.insertRow();
        row.appendChild(el("td", String(index + 1)));
        row.appendChild(el("td", names[bid] || bid));
        lot.criteria.forEach(function (c) { row.appendChild(el("td", byBid[bid][c.code] || "", "num")); });
      });
    });
    box.appendChild(table);
  }

  function renderComplaints(section, lot) {
    var box = section.querySelector('[data-f="complaints"]');
    if (!lot.awards.length) { return; }
    box.appendChild(el("h3", labels.complaintsTitle));
    if (!lot.complaints.length) { box.appendChild(el("p", labels.noComplaints, "hint")); return; }
    var list = el("ol", null, "complaints");
    lot.complaints.forEach(function (c) {
      var item = el("li");
      item.setAttribute("data-complaint", c.complaint);
      item.setAttribute("data-status", c.status);
      item.appendChild(el("p", c.supplier_name + " (" + c.supplier + ") · " + labels.filed + " " + kst(c.filed_at) +
        " · " + (labels.complaints[c.status] || c.status), "q"));
      item.appendChild(el("p", c.text));
      c.documents.forEach(function (d) {
        var line = el("p", null, "meta");
        // the buyer's officers and the review body may open the documents; everyone sees the hash
        if (config.officer || config.reviewer) {
          var link = el("a", d.name);
          link.href = config.api + "complaints/" + c.complaint + "/documents/" + d.id + "/";
          line.appendChild(link);
        } else {
          line.appendChild(document.createTextNode(d.name));
        }
        line.appendChild(document.createTextNode(" · SHA-256 " + d.sha256));
        item.appendChild(line);
      });
      if (c.reason) { item.appendChild(el("p", labels.decision + ": " + c.reason, "a")); }
      if (config.reviewer && (c.status === "submitted" || c.status === "accepted")) {
        item.appendChild(decisionForm(c));
      }
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  // Every live event renders the lots afresh: what someone is typing into a form there (a
  // reason, a score) must survive it. Fields are known again by the review, complaint, lot or
  // supplier they belong to, their form and their name; only fields changed by hand are kept.
  var KEYS = ["data-lot", "data-review", "data-complaint", "data-supplier"];

  function fieldKey(field) {
    var parts = [];
    for (var node = field; node && node.id !== "lots"; node = node.parentElement) {
      KEYS.forEach(function (name) {
        if (node.hasAttribute(name)) { parts.push(name + "=" + node.getAttribute(name)); }
      });
    }
    return [parts.join(","), field.form ? field.form.className : "", field.name,
      field.type === "checkbox" ? field.value : ""].join("|");
  }

  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") { return field.checked !== field.defaultChecked; }
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return field.type !== "file" && field.type !== "hidden" && field.value !== field.defaultValue;
  }

  function typedFields(holder) {
    var typed = {};
    holder.querySelectorAll("form [name]").forEach(function (field) {
      if (field.tagName !== "BUTTON" && changed(field)) {
        typed[fieldKey(field)] = { value: field.value, checked: field.checked, focused: field === document.activeElement };
      }
    });
    return typed;
  }

  function typedRestore(holder, typed) {
    holder.querySelectorAll("form [name]").forEach(function (field) {
      var kept = typed[fieldKey(field)];
      if (!kept) { return; }
      if (field.type === "checkbox" || field.type === "radio") { field.checked = kept.checked; }
      else { field.value = kept.value; }
      if (kept.focused) { field.focus(); }
    });
  }

  // Sent: the form starts empty again, and so does the copy of it that a live event may have
  // rendered (with what was typed) while it was being sent.
  function sentForget(form) {
    var sent = {};
    form.querySelectorAll("[name]").forEach(function (field) { sent[fieldKey(field)] = true; });
    form.reset();
    document.querySelectorAll("#lots form [name]").forEach(function (field) {
      if (!sent[fieldKey(field)]) { return; }
      if (field.type === "checkbox" || field.type === "radio") { field.checked = field.defaultChecked; }
      else if (field.tagName === "SELECT") { field.form.reset(); }
      else if (field.type !== "file") { field.value = field.defaultValue; }
    });
  }

  function render(state) {
    var holder = document.getElementById("lots");
    var typed = typedFields(holder);
    holder.textContent = "";
    state.forEach(function (lot) {
      var section = document.getElementById("lot-template").content.firstElementChild.cloneNode(true);
      section.setAttribute("data-lot", lot.lot);
      section.setAttribute("data-lot-status", lot.status);
      fill(section, "title", lot.lot + ". " + lot.title);
      var status = section.querySelector('[data-f="status"]');
      status.textContent = labels.lots[lot.status] || lot.status;
      status.className = "status status-" + lot.status;
      fill(section, "status_reason", lot.status_reason || "");
      fill(section, "method", labels.methods[lot.method] || lot.method);
      renderEstimate(section, lot.estimate);
      if (lot.committee) {
        section.querySelector('[data-f="committee"]').hidden = false;
        fill(section, "committee-progress", labels.committee.replace("%(members)s", lot.committee.members)
          .replace("%(declared)s", lot.committee.declared).replace("%(submitted)s", lot.committee.submitted));
      }
      renderReviews(section, lot);
      renderAwards(section, lot);
      renderMemberScores(section, lot);
      renderComplaints(section, lot);
      actions(section, lot);
      holder.appendChild(section);
    });
    typedRestore(holder, typed);
    root.setAttribute("data-rendered", String(Date.now()));
  }

  // --- actions ---------------------------------------------------------------------------------
  function clone(id) { return document.getElementById(id).content.firstElementChild.cloneNode(true); }

  function onSubmit(form, work) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      // Until the answer is in and shown, what is typed next may be cleared as sent
      // (sentForget): the page says it is busy, for assistive technology and for tests.
      root.setAttribute("aria-busy", "true");
      try { await work(event.submitter); sentForget(form); say(labels.done); await refetch(); }
      catch (error) { say(error.message, true); }
      finally {
        buttons.forEach(function (b) { b.disabled = false; });
        root.removeAttribute("aria-busy");
      }
    });
    return form;
  }

  async function officerKey() {
    var records = (await window.JangteoPki.keys.all()).filter(function (r) { return r.organisation === config.buyer; });
    records.sort(function (a, b) { return (b.createdAt || "").localeCompare(a.createdAt || ""); });
    if (!records.length) { throw new Error(labels.noKey); }
    return records[0];
  }

  function actions(section, lot) {
    var box = section.querySelector('[data-f="actions"]');
    var proposed = lot.reviews.filter(function (r) { return r.status === "proposed"; })[0];
    if (config.officer && lot.status === "evaluation" && proposed) {
      var cell = section.querySelector('tr[data-review="' + proposed.review + '"] td:last-child');
      if (lot.method === "qualification_review") {
        cell.appendChild(onSubmit(clone("score-template"), function () {
          var form = cell.querySelector(".score-form");
          return api("reviews/" + proposed.review + "/score/", {
            capability: form.capability.value.trim(), evidence: form.evidence.value });
        }));
      }
      if (lot.method !== "qualification_review" || proposed.total_score !== null) {
        cell.appendChild(onSubmit(clone("award-template"), async function () {
          if (!window.confirm(labels.confirmAward)) { return; }
          var key = await officerKey();
          var statement = await api("reviews/" + proposed.review + "/award-statement/");
          var bytes = Uint8Array.from(atob(statement.statement), function (c) { return c.charCodeAt(0); });
          var signature = await window.JangteoPki.signDetached(key.privateKey, key.certificate, key.chain, bytes);
          return api("reviews/" + proposed.review + "/award/", { signature: b64(signature) });
        }));
      }
      cell.appendChild(onSubmit(clone("disqualify-template"), function () {
        return api("reviews/" + proposed.review + "/disqualification/", {
          reason: cell.querySelector(".disqualify-form").reason.value });
      }));
    }
    if (config.officer && lot.method === "best_value" && lot.status === "evaluation" &&
        lot.committee && lot.committee.members === 0) {
      var appoint = clone("appoint-template"), list = appoint.querySelector(".evaluators");
      config.evaluators.forEach(function (person) {
        var label = el("label", null, "pick"), tick = el("input");
        tick.type = "checkbox"; tick.value = person.id;
        label.appendChild(tick); label.appendChild(document.createTextNode(" " + person.name));
        list.appendChild(label);
      });
      box.appendChild(onSubmit(appoint, function () {
        var members = Array.from(appoint.querySelectorAll("input:checked"), function (b) { return Number(b.value); });
        return api("evaluations/" + lot.evaluation + "/committee/", { members: members });
      }));
    }
    if (config.officer && lot.status === "unsuccessful" && lot.lot_id) {
      box.appendChild(onSubmit(clone("retender-template"), function () {
        return api("lots/" + lot.lot_id + "/retender/", {});
      }));
    }
    config.complain.filter(function (c) { return c.lot === lot.lot; }).forEach(function (mine) {
      var pending = lot.awards.filter(function (a) { return a.award === mine.award && a.status === "pending"; })[0];
      if (!pending) { return; }
      var form = clone("complaint-template");
      form.setAttribute("data-supplier", mine.supplier);
      box.appendChild(onSubmit(form, async function () {
        var files = Array.from(form.documents.files || []), documents = [];
        for (var i = 0; i < files.length; i++) {
          documents.push({ name: files[i].name, content: b64(await files[i].arrayBuffer()) });
        }
        return api("awards/" + mine.award + "/complaints/", {
          supplier: mine.supplier, text: form.text.value, documents: documents });
      }));
    });
  }

  function decisionForm(complaint) {
    var form = clone("decision-template");
    return onSubmit(form, function (submitter) {
      return api("complaints/" + complaint.complaint + "/decision/", {
        decision: submitter ? submitter.value : "accept", reason: form.reason.value });
    });
  }

  // --- live ------------------------------------------------------------------------------------
  var lastRequest = 0;
  function refetch() {
    var request = ++lastRequest;
    return fetch(config.state, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state && request === lastRequest) { render(state); } });
  }
  var RELEVANT = /^(evaluation\.|award\.|complaint\.|committee\.|lot\.|opening\.completed)/;

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("evaluation");
    if (!root) { return; }
    config = JSON.parse(document.getElementById("evaluation-config").textContent);
    labels = JSON.parse(document.getElementById("evaluation-labels").textContent);
    statusLine = document.getElementById("evaluation-status");
    render(JSON.parse(document.getElementById("evaluation-state").textContent));
    new window.Jangteo.LiveTopic(root.getAttribute("data-live-path"),
      parseInt(root.getAttribute("data-live-seq"), 10) || 0, {
        event: function (message) {
          var data = message.data || {};
          if (data.tender) { window.Jangteo.setStatus(root.querySelector("[data-field=status]"), data.tender.status); }
          // Watchers ask a little apart, so thousands do not fetch at the same instant.
          if (RELEVANT.test(message.kind)) { setTimeout(refetch, Math.random() * 800); }
        },
        snapshot: function () { refetch(); }
      });
  });
})();
