/* Keys, certificates and signatures in the browser, for every page that signs.
 *
 * window.JangteoPki:
 *   keys.all() / keys.keep(record)   the key store (IndexedDB "jangteo-keys"): private keys
 *                                    as non-extractable CryptoKeys, with their certificates
 *   signDetached(key, certPem, chainPems, bytes)  CMS SignedData, detached, SHA-256, signer
 *                                    certificate embedded (what the platform verifies)
 *   pkcs12Build(pkcs8, certPem, chainPems, password)  an encrypted PKCS#12 (PBES2: PBKDF2
 *                                    with SHA-256 and AES-256-CBC; MAC with SHA-256)
 *   pkcs12Open(bytes, password)      {pkcs8, certificates} from a PKCS#12
 *   importSigningKey(pkcs8, certPem) the key as a non-extractable CryptoKey for signing
 *
 * Uses PKI.js (static/vendor/pki.js, loaded before this file) over the browser's WebCrypto.
 */
(function () {
  "use strict";
  var vendor = window.JangteoVendor;
  var pkijs = vendor.pkijs, asn1js = vendor.asn1js;

  var OID = {
    data: "1.2.840.113549.1.7.1",
    signedData: "1.2.840.113549.1.7.2",
    contentType: "1.2.840.113549.1.9.3",
    messageDigest: "1.2.840.113549.1.9.4",
    signingTime: "1.2.840.113549.1.9.5",
    localKeyId: "1.2.840.113549.1.9.21",
    friendlyName: "1.2.840.113549.1.9.20",
    shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
    certBag: "1.2.840.113549.1.12.10.1.3",
    x509Certificate: "1.2.840.113549.1.9.22.1",
    ecPublicKey: "1.2.840.10045.2.1",
    rsaEncryption: "1.2.840.113549.1.1.1",
    p256: "1.2.840.10045.3.1.7",
    p384: "1.3.132.0.34"
  };
  var ITERATIONS = 600000;  // PBKDF2-SHA256, as current guidance asks for passwords

  // --- PEM and bytes ---------------------------------------------------------------------
  function toBase64(bytes) {
    var binary = "";
    new Uint8Array(bytes).forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary);
  }
  function fromBase64(text) {
    var binary = atob(text.replace(/\s+/g, ""));
    var out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { out[i] = binary.charCodeAt(i); }
    return out;
  }
  function pem(label, der) {
    var body = toBase64(der).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }
  function pemDecode(text) {
    return fromBase64(text.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, ""));
  }
  function certificate(pemText) { return pkijs.Certificate.fromBER(pemDecode(pemText)); }
  function bufferOf(bytes) {
    var view = new Uint8Array(bytes);
    return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
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
  var keys = {
    all: async function () {
      var db = await openStore();
      return new Promise(function (resolve, reject) {
        var request = db.transaction("keys").objectStore("keys").getAll();
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    },
    keep: async function (record) {
      var db = await openStore();
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("keys", "readwrite");
        tx.objectStore("keys").put(record);
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { reject(tx.error); };
      });
    }
  };

  // --- keys ------------------------------------------------------------------------------
  // The WebCrypto algorithm of a certificate's key (what it can sign with).
  function signingAlgorithm(cert) {
    var info = cert.subjectPublicKeyInfo, kind = info.algorithm.algorithmId;
    if (kind === OID.ecPublicKey) {
      var curve = info.algorithm.algorithmParams.valueBlock.toString();
      if (curve === OID.p256) { return { name: "ECDSA", namedCurve: "P-256" }; }
      if (curve === OID.p384) { return { name: "ECDSA", namedCurve: "P-384" }; }
      throw new Error("unsupported curve " + curve);
    }
    if (kind === OID.rsaEncryption) { return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }; }
    throw new Error("unsupported key type " + kind);
  }

  async function importSigningKey(pkcs8, certPem) {
    return crypto.subtle.importKey(
      "pkcs8", bufferOf(pkcs8), signingAlgorithm(certificate(certPem)), false, ["sign"]);
  }

  // --- CMS detached signatures -----------------------------------------------------------
  async function signDetached(privateKey, certPem, chainPems, content) {
    var signer = certificate(certPem);
    var data = bufferOf(content);
    var digest = await crypto.subtle.digest("SHA-256", data);
    var signed = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
      signerInfos: [new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({
          issuer: signer.issuer, serialNumber: signer.serialNumber
        }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({ type: OID.contentType,
              values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
            new pkijs.Attribute({ type: OID.signingTime,
              values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
            new pkijs.Attribute({ type: OID.messageDigest,
              values: [new asn1js.OctetString({ valueHex: digest })] })
          ]
        })
      })],
      certificates: [signer].concat((chainPems || []).map(certificate))
    });
    await signed.sign(privateKey, 0, "SHA-256", data);
    var info = new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) });
    return new Uint8Array(info.toSchema().toBER(false));
  }

  // --- PKCS#12 ---------------------------------------------------------------------------
  function passwordBytes(password) { return bufferOf(new TextEncoder().encode(password)); }

  async function pkcs12Build(pkcs8, certPem, chainPems, password) {
    var secret = passwordBytes(password);
    var keyId = new asn1js.OctetString({
      valueHex: bufferOf(crypto.getRandomValues(new Uint8Array(8)))
    });
    var keyBag = new pkijs.SafeBag({
      bagId: OID.shroudedKeyBag,
      bagValue: new pkijs.PKCS8ShroudedKeyBag({
        parsedValue: pkijs.PrivateKeyInfo.fromBER(bufferOf(pkcs8))
      }),
      bagAttributes: [new pkijs.Attribute({ type: OID.localKeyId, values: [keyId] })]
    });
    var certBags = [certPem].concat(chainPems || []).map(function (text, index) {
      return new pkijs.SafeBag({
        bagId: OID.certBag,
        bagValue: new pkijs.CertBag({ parsedValue: certificate(text) }),
        bagAttributes: index === 0
          ? [new pkijs.Attribute({ type: OID.localKeyId, values: [keyId] })] : undefined
      });
    });
    var pfx = new pkijs.PFX({
      parsedValue: {
        integrityMode: 0,  // password integrity (HMAC)
        authenticatedSafe: new pkijs.AuthenticatedSafe({
          parsedValue: {
            safeContents: [
              { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [keyBag] }) },
              { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certBags }) }
            ]
          }
        })
      }
    });
    await keyBag.bagValue.makeInternalValues({
      password: secret,
      contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
      hmacHashAlgorithm: "SHA-256",
      iterationCount: ITERATIONS
    });
    await pfx.parsedValue.authenticatedSafe.makeInternalValues({
      safeContents: [
        {},
        { password: secret, contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
          hmacHashAlgorithm: "SHA-256", iterationCount: ITERATIONS }
      ]
    });
    await pfx.makeInternalValues({
      password: secret, iterations: ITERATIONS,
      pbkdf2HashAlgorithm: "SHA-256", hmacHashAlgorithm: "SHA-256"
    });
    return new Uint8Array(pfx.toSchema().toBER(false));
  }

  async function pkcs12Open(bytes, password) {
    var secret = passwordBytes(password);
    var pfx = pkijs.PFX.fromBER(bufferOf(bytes));
    await pfx.parseInternalValues({ password: secret, checkIntegrity: true });
    var safe = pfx.parsedValue.authenticatedSafe;
    await safe.parseInternalValues({
      safeContents: safe.safeContents.map(function () { return { password: secret }; })
    });
    var pkcs8 = null, certificates = [], bags = [];
    safe.parsedValue.safeContents.forEach(function (contents) {
      bags = bags.concat(contents.value.safeBags);
    });
    for (var i = 0; i < bags.length; i++) {
      if (bags[i].bagId === OID.shroudedKeyBag) {
        await bags[i].bagValue.parseInternalValues({ password: secret });
      }
    }
    bags.forEach(function (bag) {
        if (bag.bagId === OID.shroudedKeyBag) {
          pkcs8 = bag.bagValue.parsedValue.toSchema().toBER(false);
        } else if (bag.bagId === "1.2.840.113549.1.12.10.1.1") {  // a plain keyBag
          pkcs8 = bag.bagValue.toSchema().toBER(false);
        } else if (bag.bagId === OID.certBag) {
          certificates.push(pem("CERTIFICATE", bag.bagValue.parsedValue.toSchema().toBER(false)));
        }
    });
    return { pkcs8: pkcs8 && new Uint8Array(pkcs8), certificates: certificates };
  }

  // The certificate among `pems` whose key is `pkcs8`'s (a PKCS#12 may carry its chain).
  async function certificateOfKey(pkcs8, pems) {
    for (var i = 0; i < pems.length; i++) {
      var cert = certificate(pems[i]);
      var algorithm;
      try { algorithm = signingAlgorithm(cert); } catch (e) { continue; }
      var publicKey = await crypto.subtle.importKey(
        "spki", cert.subjectPublicKeyInfo.toSchema().toBER(false), algorithm, false, ["verify"]);
      var privateKey = await crypto.subtle.importKey("pkcs8", bufferOf(pkcs8), algorithm, false, ["sign"]);
      var probe = new TextEncoder().encode("jangteo key match");
      var params = algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : algorithm;
      var signature = await crypto.subtle.sign(params, privateKey, probe);
      if (await crypto.subtle.verify(params, publicKey, signature, probe)) { return pems[i]; }
    }
    return null;
  }

  window.JangteoPki = Object.freeze({
    keys: keys,
    pem: pem,
    pemDecode: pemDecode,
    toBase64: toBase64,
    signDetached: signDetached,
    pkcs12Build: pkcs12Build,
    pkcs12Open: pkcs12Open,
    certificateOfKey: certificateOfKey,
    importSigningKey: importSigningKey
  });
})();
