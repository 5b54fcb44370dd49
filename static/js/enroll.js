/* Certificate enrollment in the browser.
 *
 * The key pair is made here with WebCrypto (ECDSA P-256), non-extractable: the private key
 * can sign but can never be read out, not even by this page. It is kept in this browser's
 * IndexedDB. Only a PKCS#10 request (public key + proof of possession) goes to the server.
 */
(function () {
  "use strict";

  // --- a minimal DER encoder: exactly what a PKCS#10 request needs --------------------------
  function bytes(list) { return new Uint8Array(list); }
  function concat(parts) {
    var length = parts.reduce(function (n, p) { return n + p.length; }, 0);
    var out = new Uint8Array(length), offset = 0;
    parts.forEach(function (p) { out.set(p, offset); offset += p.length; });
    return out;
  }
  function derLength(n) {
    if (n < 128) { return bytes([n]); }
    var octets = [];
    while (n > 0) { octets.unshift(n & 255); n = Math.floor(n / 256); }
    return bytes([128 | octets.length].concat(octets));
  }
  function tlv(tag, content) { return concat([bytes([tag]), derLength(content.length), content]); }
  function sequence(parts) { return tlv(0x30, concat(parts)); }
  function set(parts) { return tlv(0x31, concat(parts)); }
  function oid(dotted) {
    var arcs = dotted.split(".").map(Number), out = [40 * arcs[0] + arcs[1]];
    arcs.slice(2).forEach(function (arc) {
      var chunk = [arc & 127];
      arc = Math.floor(arc / 128);
      while (arc > 0) { chunk.unshift((arc & 127) | 128); arc = Math.floor(arc / 128); }
      out = out.concat(chunk);
    });
    return tlv(0x06, bytes(out));
  }
  function utf8(text) { return tlv(0x0c, new TextEncoder().encode(text)); }
  function integer(unsigned) {  // a non-negative big-endian integer
    var i = 0;
    while (i < unsigned.length - 1 && unsigned[i] === 0) { i++; }
    var value = unsigned.slice(i);
    if (value[0] & 128) { value = concat([bytes([0]), value]); }
    return tlv(0x02, value);
  }
  function bitString(content) { return tlv(0x03, concat([bytes([0]), content])); }

  // WebCrypto signs ECDSA as r||s; X.509 wants SEQUENCE { INTEGER r, INTEGER s }.
  function ecdsaDer(raw) {
    var half = raw.length / 2;
    return sequence([integer(raw.slice(0, half)), integer(raw.slice(half))]);
  }

  var ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2", COMMON_NAME = "2.5.4.3";

  async function certificationRequest(keyPair) {
    var spki = new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
    // The platform writes the real subject from the account; this name is only a label.
    var info = sequence([
      integer(bytes([0])),
      sequence([set([sequence([oid(COMMON_NAME), utf8("jangteo-browser")])])]),
      spki,
      tlv(0xa0, new Uint8Array(0))  // no attributes
    ]);
    var signature = new Uint8Array(await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" }, keyPair.privateKey, info));
    var request = sequence([info, sequence([oid(ECDSA_WITH_SHA256)]), bitString(ecdsaDer(signature))]);
    return pem("CERTIFICATE REQUEST", request);
  }

  function pem(label, der) {
    var binary = "";
    der.forEach(function (b) { binary += String.fromCharCode(b); });
    var body = btoa(binary).replace(/(.{64})/g, "$1\n");
    return "-----BEGIN " + label + "-----\n" + body.replace(/\n$/, "") + "\n-----END " + label + "-----\n";
  }

  // --- the key store ---------------------------------------------------------------------
  function openStore() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("jangteo-keys", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("keys", { keyPath: "serial" }); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }

  async function keep(record) {
    var db = await openStore();
    return new Promise(function (resolve, reject) {
      var tx = db.transaction("keys", "readwrite");
      tx.objectStore("keys").put(record);
      tx.oncomplete = function () { resolve(); };
      tx.onerror = function () { reject(tx.error); };
    });
  }

  window.JangteoKeys = {
    all: async function () {
      var db = await openStore();
      return new Promise(function (resolve, reject) {
        var request = db.transaction("keys").objectStore("keys").getAll();
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
  };

  async function enroll(form, status) {
    var option = form.querySelector("select[name=organisation]").selectedOptions[0];
    status.textContent = form.getAttribute("data-working");
    var keyPair = await crypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    var response = await fetch(form.getAttribute("data-api"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      body: JSON.stringify({ organisation: option.getAttribute("data-code"),
                             csr: await certificationRequest(keyPair) })
    });
    var answer = await response.json();
    if (!response.ok) { throw new Error(answer.detail || response.statusText); }
    await keep({ serial: answer.serial, organisation: answer.organisation,
                 privateKey: keyPair.privateKey, publicKey: keyPair.publicKey,
                 certificate: answer.certificate, chain: answer.chain,
                 createdAt: new Date().toISOString() });
    return answer;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("browser-enroll");
    if (!form) { return; }
    var status = document.getElementById("browser-enroll-status");
    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      status.textContent = form.getAttribute("data-unsupported");
      form.querySelector("button").disabled = true;
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.querySelector("button").disabled = true;
      enroll(form, status).then(function (answer) {
        status.textContent = form.getAttribute("data-done") + " " + answer.serial;
        document.documentElement.setAttribute("data-enrolled", answer.serial);
        setTimeout(function () { location.reload(); }, 800);
      }).catch(function (error) {
        status.textContent = error.message;
        form.querySelector("button").disabled = false;
      });
    });
  });
})();
