// The sealed envelope `ggzy-sealed-bid/1` built in the browser (API.md "The sealed envelope",
// docs/SEALING.md). The Rust sealer (src/sealing/seal.rs) is the reference; this file follows it
// step by step so that the server accepts the envelope and the opening decrypts it. The server
// never sees the plaintext bid nor the one-time identity S.

import { Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { b64, sha256Hex, hex } from "./common.js";

/** The suite name. */
export const FORMAT = "ggzy-sealed-bid/1";

/** Which pieces each holder's bundle carries: any two holders together have all three. */
export const BRANCH_PIECES = { decide: [2, 3], execute: [1, 3], supervise: [1, 2] };

/** A money string with exactly two decimals, or null when `s` is not a non-negative amount. */
export function normalizePrice(s) {
  const m = /^\s*(\d{1,15})(?:\.(\d{1,2}))?\s*$/.exec(s || "");
  if (!m) return null;
  const int = m[1].replace(/^0+(?=\d)/, "");
  return `${int}.${(m[2] || "").padEnd(2, "0")}`;
}

/**
 * XOR split of S into three pieces of len(S) bytes: s1, s2 random (WebCrypto), s3 = S ⊕ s1 ⊕ s2.
 * Any two pieces alone are uniformly random; all three rebuild S.
 */
export function split(secret) {
  const s1 = crypto.getRandomValues(new Uint8Array(secret.length));
  const s2 = crypto.getRandomValues(new Uint8Array(secret.length));
  const s3 = new Uint8Array(secret.length);
  for (let i = 0; i < secret.length; i++) s3[i] = secret[i] ^ s1[i] ^ s2[i];
  return [s1, s2, s3];
}

/** Encrypts bytes to one X25519 recipient as a binary (not armored) age file. */
async function encryptTo(recipient, bytes) {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(bytes);
}

/** Reads a File into {name, media_type, sha256, content} as the bid document wants it. */
export async function attachment(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return {
    name: file.name,
    media_type: file.type || "application/octet-stream",
    sha256: await sha256Hex(bytes),
    content: b64(bytes),
  };
}

/**
 * The bid document (the payload's plaintext) as JSON bytes: tender_id, org_code, a 32-hex-char
 * nonce, the price with two decimals, CNY, duration_days when given, the fields (with `sme`
 * when declared) and the attachments.
 */
export function buildDocument({ tenderId, orgCode, price, durationDays, sme, fields, attachments }) {
  const doc = {
    tender_id: tenderId,
    org_code: orgCode,
    nonce: hex(crypto.getRandomValues(new Uint8Array(16))),
    price,
    currency: "CNY",
  };
  if (durationDays !== null && durationDays !== undefined) doc.duration_days = durationDays;
  doc.fields = { ...(fields || {}) };
  if (sme) doc.fields.sme = sme;
  doc.attachments = attachments || [];
  return new TextEncoder().encode(JSON.stringify(doc));
}

/**
 * Seals a bid document for a tender to its three holders' recipients
 * ({decide, execute, supervise}: `age1…`) and returns the envelope JSON text, exactly as sent.
 */
export async function seal(tenderId, documentBytes, recipients) {
  for (const b of Object.keys(BRANCH_PIECES)) {
    if (!/^age1[02-9ac-hj-np-z]{58}$/.test(recipients[b] || "")) {
      throw new Error(`${b} 持钥人的公钥不是 X25519 age 公钥`);
    }
  }
  // The one-time identity S, as the exact string age writes (AGE-SECRET-KEY-1…, uppercase).
  const identity = await generateX25519Identity();
  const payload = await encryptTo(await identityToRecipient(identity), documentBytes);
  const payloadSha256 = await sha256Hex(payload);
  const secret = new TextEncoder().encode(identity);
  const pieces = split(secret);
  const bundles = {};
  for (const [branch, nums] of Object.entries(BRANCH_PIECES)) {
    const ps = {};
    for (const n of nums) ps[String(n)] = b64(pieces[n - 1]);
    const bundle = { tender_id: tenderId, payload_sha256: payloadSha256, pieces: ps };
    const file = await encryptTo(recipients[branch], new TextEncoder().encode(JSON.stringify(bundle)));
    bundles[branch] = b64(file);
  }
  // Best effort: S's bytes do not outlive the sealing (the JS string cannot be wiped).
  secret.fill(0);
  for (const p of pieces) p.fill(0);
  return JSON.stringify({ format: FORMAT, tender_id: tenderId, payload: b64(payload), bundles });
}
