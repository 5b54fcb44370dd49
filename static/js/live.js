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

  var HEARTBEAT_MS = 25000;   // a ping's pong tells the topic's number: a lost last push shows
  var RESUME_RETRY_MS = 5000;  // ask again if a resume brought nothing by then

  function LiveTopic(path, seq, handlers) {
    this.path = path; this.seq = seq; this.handlers = handlers;
    this.pending = {};   // events that arrived past a gap, by number, until the gap is filled
    this.resumedAt = 0;  // when a replay was last asked for (0: none outstanding)
    this.retry = 0; this.connect();
  }

  LiveTopic.prototype.connect = function () {
    var self = this;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + this.path + "?since=" + this.seq);
    this.ws = ws;
    ws.onopen = function () {
      self.retry = 0; self.indicate(true);
      self.heartbeat = setInterval(function () {
        if (ws.readyState === 1) { ws.send(JSON.stringify({ type: "ping" })); }
      }, HEARTBEAT_MS);
    };
    ws.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      self.receive(data);
    };
    ws.onclose = function () {
      clearInterval(self.heartbeat);
      self.indicate(false);
      self.pending = {}; self.resumedAt = 0;
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
      if (message.seq <= this.seq) { return; }  // already applied
      this.pending[message.seq] = message;
      this.drain();
      if (Object.keys(this.pending).length) { this.resume(); }  // a gap: have it replayed
    } else if (message.type === "snapshot") {
      this.seq = message.seq;
      this.handlers.snapshot(message.data);
      for (var seq in this.pending) { if (Number(seq) <= this.seq) { delete this.pending[seq]; } }
      this.resumedAt = 0;
      this.drain();
      this.mark();
    } else if (message.type === "hello") {
      // Connecting with ?since= already replays what was missed: count it as asked for.
      if (message.seq !== this.seq) { this.resumedAt = Date.now(); }
    } else if (message.type === "pong" && message.seq > this.seq) {
      this.resume();  // the server has events we never received
    }
  };

  LiveTopic.prototype.drain = function () {
    while (this.pending[this.seq + 1]) {
      var next = this.pending[this.seq + 1];
      delete this.pending[this.seq + 1];
      this.seq = next.seq;
      this.handlers.event(next);
    }
    if (!Object.keys(this.pending).length) { this.resumedAt = 0; }
    this.mark();
  };

  LiveTopic.prototype.mark = function () {
    document.documentElement.setAttribute("data-live-seq", String(this.seq));
  };

  LiveTopic.prototype.resume = function () {
    if (!this.ws || this.ws.readyState !== 1) { return; }
    if (this.resumedAt && Date.now() - this.resumedAt < RESUME_RETRY_MS) { return; }
    this.resumedAt = Date.now();
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
    serverNow: serverNow,
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
