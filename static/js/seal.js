/* The bid envelope, format 1, in the browser (docs/bid-envelope.md is the specification).
 *
 * window.JangteoSeal:
 *   canonical(value)          RFC 8785 bytes of objects, arrays, strings and safe integers
 *   bidJson(fields)           bid.json bytes (section 1), with a fresh nonce
 *   envelope(opts)            {sealed, outer, bidJson}: inner signature over bid.json, contents,
 *                             HPKE seal to the opening key with the tender/lot/supplier info,
 *                             outer signature over the sealed bytes (sections 2-5)
 *   withdrawal(fields)        the canonical withdrawal statement (section 8)
 *   shareOpen(sealed, keyPair, tender, officer)  an opening share sealed to a receiving key
 *   sha256Hex(bytes), b64(bytes), fromB64(text), hex(bytes), fromHex(text)
 *
 * HPKE is @hpke/core (static/vendor/hpke.js) over the browser's WebCrypto; signatures are
 * JangteoPki.signDetached (PKI.js). Nothing here talks to the server.
 */
(function () {
  "use strict";
  var FORMAT = "jangteo-bid/1";
  var MAX_SEALED = 20 * 1024 * 1024;

  function hex(bytes) {
    return Array.from(new Uint8Array(bytes), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }
  function fromHex(text) {
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) { out[i] = parseInt(text.substr(2 * i, 2), 16); }
    return out;
  }
  // btoa over large arrays in chunks: a 20 MiB envelope must not blow the argument limit.
  function b64(bytes) {
    var view = new Uint8Array(bytes), parts = [];
    for (var i = 0; i < view.length; i += 0x8000) {
      parts.push(String.fromCharCode.apply(null, view.subarray(i, i + 0x8000)));
    }
    return btoa(parts.join(""));
  }
  function fromB64(text) {
    var binary = atob(text), out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { out[i] = binary.charCodeAt(i); }
    return out;
  }
  function b64url(bytes) { return b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }
  function utf8(text) { return new TextEncoder().encode(text); }
  function concat(a, b) {
    var out = new Uint8Array(a.length + b.length);
    out.set(a, 0); out.set(b, a.length);
    return out;
  }
  async function sha256Hex(bytes) { return hex(await crypto.subtle.digest("SHA-256", bytes)); }

  // RFC 8785 for the types envelopes use. ECMAScript's JSON.stringify writes strings exactly
  // as the RFC asks, and the default sort compares UTF-16 code units, as the RFC's key order.
  function encode(value) {
    if (value === null || typeof value === "boolean") { return JSON.stringify(value); }
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) { throw new Error("only safe integers are allowed"); }
      return String(value);
    }
    if (typeof value === "string") { return JSON.stringify(value); }
    if (Array.isArray(value)) { return "[" + value.map(encode).join(",") + "]"; }
    return "{" + Object.keys(value).sort().map(function (key) {
      return JSON.stringify(key) + ":" + encode(value[key]);
    }).join(",") + "}";
  }
  function canonical(value) { return utf8(encode(value)); }

  function bidJson(fields) {
    return canonical({
      format: FORMAT, tender: fields.tender, lot: fields.lot, supplier: fields.supplier,
      amount: fields.amount, currency: "KRW", reserve_picks: fields.picks,
      documents: fields.documents.map(function (d) {
        return { name: d.name, sha256: d.sha256, size: d.size };
      }),
      nonce: b64url(crypto.getRandomValues(new Uint8Array(32)))
    });
  }

  function sealInfo(tender, lot, supplier) {
    return canonical({ purpose: "jangteo-bid-envelope", format: FORMAT, tender: tender,
                       lot: lot, supplier: supplier });
  }

  function suite() {
    var H = window.JangteoHpke;
    return new H.CipherSuite({ kem: new H.DhkemX25519HkdfSha256(), kdf: new H.HkdfSha256(),
                               aead: new H.Aes256Gcm() });
  }

  async function hpkeSeal(publicKeyHex, info, plaintext) {
    var s = suite();
    var recipient = await s.kem.deserializePublicKey(fromHex(publicKeyHex).buffer);
    var sealed = await s.seal({ recipientPublicKey: recipient, info: info.buffer }, plaintext.buffer);
    return concat(new Uint8Array(sealed.enc), new Uint8Array(sealed.ct));
  }

  /* opts: tender, lot, supplier, amount, picks, documents [{name, bytes}], publicKey (hex),
   * key (the IndexedDB record: privateKey, certificate, chain). */
  async function envelope(opts) {
    var documents = [];
    for (var i = 0; i < opts.documents.length; i++) {
      var d = opts.documents[i];
      documents.push({ name: d.name, bytes: d.bytes, size: d.bytes.length,
                       sha256: await sha256Hex(d.bytes) });
    }
    var bid = bidJson({ tender: opts.tender, lot: opts.lot, supplier: opts.supplier,
                        amount: opts.amount, picks: opts.picks, documents: documents });
    var sign = function (bytes) {
      return window.JangteoPki.signDetached(opts.key.privateKey, opts.key.certificate,
                                            opts.key.chain, bytes);
    };
    var inner = await sign(bid);
    var contents = canonical({
      bid: b64(bid), signature: b64(inner),
      documents: documents.map(function (d) { return { name: d.name, content: b64(d.bytes) }; })
    });
    if (contents.length + 48 > MAX_SEALED) { throw new RangeError("envelope_size"); }
    var sealed = await hpkeSeal(opts.publicKey, sealInfo(opts.tender, opts.lot, opts.supplier), contents);
    contents.fill(0);
    return { sealed: sealed, outer: await sign(sealed), bidJson: bid };
  }

  function withdrawal(fields) {
    return canonical({ format: "jangteo-withdrawal/1", purpose: "jangteo-bid-withdrawal",
                       tender: fields.tender, lot: fields.lot, supplier: fields.supplier,
                       envelope_sha256: fields.envelopeSha256 });
  }

  /* Opens a share sealed to an officer's receiving key (info: purpose, tender, officer).
   * keyPair: {privateKey, publicKey} X25519 CryptoKeys; the private one may be non-extractable. */
  async function shareOpen(sealed, keyPair, tender, officer) {
    var s = suite();
    var info = canonical({ purpose: "jangteo-opening-share", tender: tender, officer: officer });
    var plain = await s.open({ recipientKey: keyPair, enc: sealed.slice(0, 32).buffer,
                               info: info.buffer }, sealed.slice(32).buffer);
    return new TextDecoder().decode(plain);
  }

  window.JangteoSeal = Object.freeze({
    canonical: canonical, bidJson: bidJson, sealInfo: sealInfo, envelope: envelope,
    withdrawal: withdrawal, shareOpen: shareOpen, hpkeSeal: hpkeSeal,
    sha256Hex: sha256Hex, b64: b64, fromB64: fromB64, hex: hex, fromHex: fromHex,
    MAX_SEALED: MAX_SEALED
  });
})();
