/* Certificate enrollment in the browser.
 *
 * The key pair is made here with WebCrypto (ECDSA P-256), non-extractable: the private key
 * can sign but can never be read out, not even by this page. It is kept in this browser's
 * IndexedDB. Only a PKCS#10 request (public key + proof of possession) goes to the server.
 * With a backup asked for, the key is made extractable once, written into an encrypted
 * PKCS#12 that the person downloads, and only a non-extractable copy is kept.
 * A PKCS#12 from another CA is opened here too; its key signs the platform's challenge.
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
    return JangteoPki.pem("CERTIFICATE REQUEST", request);
  }



  function csrfToken(form) { return form.querySelector("[name=csrfmiddlewaretoken]").value; }

  async function post(url, form, body) {
    var response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrfToken(form) },
      body: JSON.stringify(body)
    });
    var answer = await response.json();
    if (!response.ok) { throw new Error(answer.detail || response.statusText); }
    return answer;
  }

  function download(bytes, filename) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([bytes], { type: "application/x-pkcs12" }));
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  // The backup password, checked before any key is made (or null: no backup wanted).
  function backupPassword(form) {
    if (!form.querySelector("[name=backup]").checked) { return null; }
    var password = form.querySelector("[name=backup_password]").value;
    if (password.length < 10) { throw new Error(form.getAttribute("data-short-password")); }
    if (password !== form.querySelector("[name=backup_password2]").value) {
      throw new Error(form.getAttribute("data-password-mismatch"));
    }
    return password;
  }

  async function enroll(form, status) {
    var code = form.querySelector("select[name=organisation]").selectedOptions[0].getAttribute("data-code");
    var password = backupPassword(form);
    status.textContent = form.getAttribute("data-working");
    var keyPair, pkcs8 = null;
    if (password === null) {
      keyPair = await crypto.subtle.generateKey(
        { name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    } else {
      // A backup needs the key's bytes once: make it extractable, export it, and keep only a
      // non-extractable copy. The bytes live in this page's memory until the backup is made.
      var extractable = await crypto.subtle.generateKey(
        { name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
      pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", extractable.privateKey));
      keyPair = {
        publicKey: extractable.publicKey,
        privateKey: await crypto.subtle.importKey(
          "pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"])
      };
    }
    var answer = await post(form.getAttribute("data-api"), form,
      { organisation: code, csr: await certificationRequest(keyPair) });
    await JangteoPki.keys.keep({ serial: answer.serial, organisation: answer.organisation,
                 privateKey: keyPair.privateKey, publicKey: keyPair.publicKey,
                 certificate: answer.certificate, chain: answer.chain,
                 createdAt: new Date().toISOString() });
    if (pkcs8 !== null) {
      status.textContent = form.getAttribute("data-backing-up");
      var p12 = await JangteoPki.pkcs12Build(pkcs8, answer.certificate, answer.chain, password);
      pkcs8.fill(0);
      download(p12, "jangteo-" + answer.serial + ".p12");
      document.documentElement.setAttribute("data-backup", answer.serial);
    }
    return answer;
  }

  // A certificate of another CA, from its PKCS#12: the key is opened here, kept here
  // (non-extractable), and proves itself by signing the platform's challenge.
  async function importCertificate(form, status) {
    var code = form.querySelector("select[name=organisation]").selectedOptions[0].getAttribute("data-code");
    var file = form.querySelector("input[type=file]").files[0];
    if (!file) { throw new Error(form.getAttribute("data-no-file")); }
    status.textContent = form.getAttribute("data-working");
    var opened;
    try {
      opened = await JangteoPki.pkcs12Open(new Uint8Array(await file.arrayBuffer()),
                                           form.querySelector("[name=p12_password]").value);
    } catch (error) {
      throw new Error(form.getAttribute("data-cannot-open"));
    }
    var certificate = opened.pkcs8 && await JangteoPki.certificateOfKey(opened.pkcs8, opened.certificates);
    if (!certificate) { throw new Error(form.getAttribute("data-cannot-open")); }
    var privateKey = await JangteoPki.importSigningKey(opened.pkcs8, certificate);
    opened.pkcs8.fill(0);
    var challenge = (await post(form.getAttribute("data-challenge"), form, { organisation: code })).challenge;
    var signature = await JangteoPki.signDetached(privateKey, certificate, [],
                                                  new TextEncoder().encode(challenge));
    var answer = await post(form.getAttribute("data-api"), form, {
      organisation: code, challenge: challenge, signature: JangteoPki.toBase64(signature)
    });
    await JangteoPki.keys.keep({ serial: answer.serial, organisation: answer.organisation,
                 privateKey: privateKey, certificate: answer.certificate, chain: answer.chain,
                 createdAt: new Date().toISOString() });
    return answer;
  }

  function wire(form, action) {
    var status = form.querySelector("[role=status]");
    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      status.textContent = form.getAttribute("data-unsupported");
      form.querySelector("button").disabled = true;
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.querySelector("button[type=submit]").disabled = true;
      action(form, status).then(function (answer) {
        status.textContent = form.getAttribute("data-done") + " " + answer.serial;
        document.documentElement.setAttribute("data-enrolled", answer.serial);
        setTimeout(function () { location.reload(); }, 1500);
      }).catch(function (error) {
        status.textContent = error.message;
        form.querySelector("button[type=submit]").disabled = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var enrollForm = document.getElementById("browser-enroll");
    if (enrollForm) {
      var toggle = enrollForm.querySelector("[name=backup]");
      var fields = document.getElementById("backup-fields");
      toggle.addEventListener("change", function () { fields.hidden = !toggle.checked; });
      wire(enrollForm, enroll);
    }
    var importForm = document.getElementById("browser-import");
    if (importForm) { wire(importForm, importCertificate); }
  });
})();
