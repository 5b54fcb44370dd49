// One global for the pages: PKI.js (CMS, PKCS#12, X.509) and asn1js, with PKI.js set to
// use the browser's own WebCrypto engine.
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

pkijs.setEngine("webcrypto", new pkijs.CryptoEngine({ name: "webcrypto", crypto: globalThis.crypto }));

globalThis.JangteoVendor = Object.freeze({ pkijs, asn1js });
