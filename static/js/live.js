/* Jangteo live client: one WebSocket per topic, resumable by sequence number.
 *
 * The server numbers every public event of a topic 1, 2, 3 ... A client keeps the last
 * number it applied; on reconnect, or when it sees a gap, it asks to resume from that number
 * and is replayed what it missed (or sent a fresh snapshot). So a dropped push or a dropped
 * connection never leaves a page showing a stale state. */
(function () {
  "use strict";

  var catalog = {};
  var COUNTING = ["notice", "bidding"];
  var clockOffsetMs = 0; // server time minus local time

  function loadCatalog() {
    var node = document.getElementById("live-catalog");
    if (node) { try { catalog = JSON.parse(node.textContent); } catch (e) { catalog = {}; } }
  }

  function syncClock(serverIso) {
    var server = Date.parse(serverIso);
    if (!isNaN(server)) { clockOffsetMs = server - Date.now(); }
  }

  function serverNow() { return Date.now() + clockOffsetMs; }

  var kstFormat = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Seoul", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false
  });
  function formatKst(iso) {
    if (!iso) { return ""; }
    return kstFormat.format(new Date(iso)).replace(",", "") + " KST";
  }

  function formatRemaining(ms) {
    if (ms <= 0) { return catalog.closed || "closed"; }
    var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), sec = s % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return (d ? d + (catalog.days || "d") + " " : "") + two(h) + ":" + two(m) + ":" + two(sec);
  }

  function tickCountdowns() {
    var now = serverNow();
    document.querySelectorAll("time.countdown[data-deadline]").forEach(function (el) {
      // Deadlines count down only while they still matter (a notice or open bidding).
      var holder = el.closest("[data-status]");
      var running = !holder || COUNTING.indexOf(holder.getAttribute("data-status")) >= 0;
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      el.textContent = running && !isNaN(deadline) ? formatRemaining(deadline - now) : "";
    });
    var clock = document.getElementById("server-clock");
    if (clock) { clock.textContent = formatKst(new Date(now).toISOString()); }
  }

  function statusLabel(status) { return (catalog.statuses || {})[status] || status; }

  function setStatus(el, status) {
    if (!el) { return; }
    el.textContent = statusLabel(status);
    el.className = "status status-" + status;
    var holder = el.closest("[data-status]");
    if (holder) { holder.setAttribute("data-status", status); }
  }

  function LiveTopic(path, seq, handlers) {
    this.path = path; this.seq = seq; this.handlers = handlers;
    this.retry = 0; this.resumeAsked = false; this.connect();
  }

  LiveTopic.prototype.connect = function () {
    var self = this;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + this.path + "?since=" + this.seq);
    this.ws = ws;
    ws.onopen = function () { self.retry = 0; self.indicate(true); };
    ws.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      self.receive(data);
    };
    ws.onclose = function () {
      self.indicate(false);
      var delay = Math.min(10000, 500 * Math.pow(2, self.retry++)) + Math.random() * 300;
      setTimeout(function () { self.connect(); }, delay);
    };
  };

  LiveTopic.prototype.indicate = function (on) {
    var el = document.getElementById("live-indicator");
    if (!el) { return; }
    el.textContent = on ? (catalog.live || "Live") : (catalog.offline || "Reconnecting…");
    el.className = "live-indicator " + (on ? "on" : "off");
    document.documentElement.setAttribute("data-live", on ? "on" : "off");
  };

  LiveTopic.prototype.receive = function (message) {
    if (message.server_time) { syncClock(message.server_time); }
    if (message.type === "event") {
      if (message.seq <= this.seq) { return; }           // already applied
      if (message.seq > this.seq + 1) { this.resume(); return; }  // a gap: replay it
      this.seq = message.seq; this.resumeAsked = false;
      this.handlers.event(message);
      document.documentElement.setAttribute("data-live-seq", String(this.seq));
    } else if (message.type === "snapshot") {
      this.seq = message.seq; this.resumeAsked = false;
      this.handlers.snapshot(message.data);
      document.documentElement.setAttribute("data-live-seq", String(this.seq));
    }
  };

  LiveTopic.prototype.resume = function () {
    if (this.resumeAsked || !this.ws || this.ws.readyState !== 1) { return; }
    this.resumeAsked = true;
    this.ws.send(JSON.stringify({ type: "resume", since: this.seq }));
  };

  function enhanceLanguageSwitch() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
      var button = select.form.querySelector(".js-hidden");
      if (button) { button.classList.add("js-on"); }
    });
  }

  window.Jangteo = {
    LiveTopic: LiveTopic, formatKst: formatKst, setStatus: setStatus, syncClock: syncClock,
    catalog: function () { return catalog; }
  };

  document.addEventListener("DOMContentLoaded", function () {
    loadCatalog();
    var root = document.querySelector("[data-server-time]");
    if (root) { syncClock(root.getAttribute("data-server-time")); }
    enhanceLanguageSwitch();
    tickCountdowns();
    setInterval(tickCountdowns, 1000);
  });
})();
