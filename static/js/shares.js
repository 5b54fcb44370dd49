/* The opening officer's shares page: a receiving key made in this browser (non-extractable,
 * kept in IndexedDB "jangteo-receiving-keys") or read from a PEM file the client made; each
 * share is unsealed here and shown once; confirming asks the platform to drop its copy. */
(function () {
  "use strict";
  var config, root, statusLine, fileKey = null, shares = {};
  var X25519 = { name: "X25519" };

  function say(text, isError) { statusLine.textContent = text; statusLine.className = isError ? "error" : ""; }
  function csrf() { return document.querySelector("[name=csrfmiddlewaretoken]").value; }
  async function api(url, options) {
    var response = await fetch(url, Object.assign({ credentials: "same-origin" }, options, {
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() }
    }));
    var body = await response.json().catch(function () { return null; });
    if (!response.ok) {
      var error = new Error((body && body.detail) || response.statusText);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // --- the browser's receiving keys ------------------------------------------------------
  function store(mode, work) {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("jangteo-receiving-keys", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("keys", { keyPath: "fingerprint" }); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var tx = open.result.transaction("keys", mode), request = work(tx.objectStore("keys"));
        tx.oncomplete = function () { resolve(request && request.result); };
        tx.onerror = function () { reject(tx.error); };
      };
    });
  }
  async function fingerprintOf(publicKey) {
    return window.JangteoSeal.sha256Hex(await crypto.subtle.exportKey("raw", publicKey));
  }

  async function makeKey(event) {
    event.preventDefault();
    try {
      var pair = await crypto.subtle.generateKey(X25519, false, ["deriveBits"]);
      var raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
      var answer = await api(config.receivingKey, {
        method: "POST", body: JSON.stringify({ public_key: window.JangteoSeal.hex(raw) })
      });
      await store("readwrite", function (keys) {
        return keys.put({ fingerprint: answer.fingerprint, privateKey: pair.privateKey,
                          publicKey: pair.publicKey, createdAt: new Date().toISOString() });
      });
      document.getElementById("receiving-fingerprint").textContent = answer.fingerprint;
      say(root.getAttribute("data-registered") + " " + answer.fingerprint);
    } catch (error) { say(error.message, true); }
  }

  // A PKCS#8 PEM (jangteo-client keygen/opening key files): imported extractable only long
  // enough to learn its public half, then kept as a non-extractable key for this page only.
  async function readKeyFile() {
    var file = this.files && this.files[0];
    if (!file) { return; }
    try {
      var text = await file.text();
      var der = Uint8Array.from(atob(text.replace(/-----(BEGIN|END) [A-Z ]+-----|\s+/g, "")),
                                function (c) { return c.charCodeAt(0); });
      var probe = await crypto.subtle.importKey("pkcs8", der, X25519, true, ["deriveBits"]);
      var jwk = await crypto.subtle.exportKey("jwk", probe);
      var x = Uint8Array.from(atob(jwk.x.replace(/-/g, "+").replace(/_/g, "/")), function (c) { return c.charCodeAt(0); });
      jwk.d = "";
      var publicKey = await crypto.subtle.importKey("raw", x, X25519, true, []);
      fileKey = { privateKey: await crypto.subtle.importKey("pkcs8", der, X25519, false, ["deriveBits"]),
                  publicKey: publicKey, fingerprint: await fingerprintOf(publicKey) };
      der.fill(0);
      say("");
      root.setAttribute("data-key-file", fileKey.fingerprint);
    } catch (error) { say(error.message, true); }
  }

  async function keyFor(fingerprint) {
    if (fileKey && fileKey.fingerprint === fingerprint) { return fileKey; }
    var kept = await store("readonly", function (keys) { return keys.get(fingerprint); });
    return kept || null;
  }

  // --- shares ----------------------------------------------------------------------------
  async function reveal(row) {
    var fingerprint = row.getAttribute("data-fingerprint");
    var key = await keyFor(fingerprint);
    if (!key) { say(root.getAttribute(fileKey ? "data-wrong-key" : "data-no-key"), true); return; }
    var share = shares[row.getAttribute("data-tender")];
    try {
      var words = await window.JangteoSeal.shareOpen(window.JangteoSeal.fromB64(share.sealed_share),
        key, share.ocid, config.officer);
      var pre = row.querySelector(".share-words");
      pre.textContent = words;
      pre.hidden = false;
      row.querySelector("button.confirm").hidden = false;
      row.setAttribute("data-revealed", "true");
      say("");
    } catch (error) { say(root.getAttribute("data-wrong-key"), true); }
  }

  async function confirmReceived(row) {
    if (!window.confirm(root.getAttribute("data-confirm"))) { return; }
    try {
      await api(config.received.replace("{tender}", row.getAttribute("data-tender")), { method: "POST" });
      row.querySelectorAll("button.reveal, button.confirm").forEach(function (b) { b.remove(); });
      row.setAttribute("data-sealed", "");
      row.setAttribute("data-confirmed", "true");
    } catch (error) { say(error.message, true); }
  }

  document.addEventListener("DOMContentLoaded", async function () {
    root = document.getElementById("officer-shares");
    if (!root) { return; }
    config = JSON.parse(document.getElementById("shares-config").textContent);
    statusLine = document.getElementById("shares-status");
    if (!window.crypto || !crypto.subtle || !window.indexedDB || !window.JangteoHpke) {
      say(root.getAttribute("data-unsupported"), true);
      return;
    }
    document.getElementById("receiving-key-form").addEventListener("submit", makeKey);
    document.getElementById("receiving-key-file").addEventListener("change", readKeyFile);
    document.querySelectorAll("#shares-table tr[data-tender]").forEach(function (row) {
      var button = row.querySelector("button.reveal");
      if (button) { button.addEventListener("click", function () { reveal(row); }); }
      var confirm = row.querySelector("button.confirm");
      if (confirm) { confirm.addEventListener("click", function () { confirmReceived(row); }); }
    });
    try {
      var current = await api(config.receivingKey, { method: "GET" });
      document.getElementById("receiving-fingerprint").textContent = current.fingerprint;
    } catch (error) { /* 404: no key yet */ }
    (await api(config.shares, { method: "GET" })).forEach(function (share) { shares[share.tender] = share; });
    root.setAttribute("data-ready", "true");
  });
})();
