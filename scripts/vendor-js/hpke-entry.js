// One global for the bid page: HPKE (RFC 9180) from @hpke/core, which runs on the browser's
// own WebCrypto (X25519, HKDF, AES-GCM): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM,
// the suite of the bid envelope (docs/bid-envelope.md section 4).
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";

globalThis.JangteoHpke = Object.freeze({ Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 });
