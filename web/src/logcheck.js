// The sealing page's check of the recipients against the transparency log (issue 13, finding 1;
// docs/SEALING.md §1): the page does not take the server's word for the recipients it seals to.
// Each branch's recipient must be the one that branch's own plane wrote into the log
// (`tender.holder_key`, writer `ggzy_<branch>`), included (RFC 9162 inclusion proof) under a tree
// head signed with the platform's Ed25519 key. The key and the last verified head are remembered
// in this browser on first use (TOFU, localStorage); a later head must extend the remembered one
// (consistency proof). The Rust twin is src/sealing/trust.rs; the same refusals, in zh-CN.

import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { api, hex, unb64 } from "./common.js";

const STORE = "ggzy.log.head";
const TOPIC = "tender.holder_key";
const BRANCHES = ["decide", "execute", "supervise"];
/** zh-CN names of the branches. */
export const BRANCH_NAMES = { decide: "决策方", execute: "执行方", supervise: "监督方" };

/** A refusal to seal, with a message for the bidder. */
export class SealingRefused extends Error {}

function fromHex(s) {
  if (typeof s !== "string" || !/^[0-9a-f]{64}$/.test(s)) throw new SealingRefused("透明日志返回的哈希格式错误");
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
/** SHA-256(0x00 ‖ leaf). */
export const leafHash = (leaf) => sha256(concat(Uint8Array.of(0), leaf));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

/** RFC 9162 §2.1.3.2 (sizes below 2^32, as any log this page meets). */
export function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(r, root);
}

/** RFC 9162 §2.1.4.2. */
export function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && eq(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const nodes = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = nodes[0];
  let sr = nodes[0];
  for (const c of nodes.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return eq(fr, firstRoot) && eq(sr, secondRoot) && sn === 0;
}

/** The head's signed bytes: JCS of {root_hash, size, timestamp} (keys sorted, no spaces). */
function signedBytes(head) {
  const o = { root_hash: head.root_hash, size: head.size, timestamp: head.timestamp };
  return new TextEncoder().encode(JSON.stringify(o));
}

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(STORE) || "null");
  } catch {
    return null;
  }
}

/** The latest signed head, checked against the trusted key and the remembered head. */
async function trustedHead() {
  const head = await api("/log/head");
  const saved = remembered();
  let key = saved?.public_key;
  if (!key) key = (await api("/keys/platform")).public_key; // first use: trusted and remembered
  if (head.public_key !== key) {
    throw new SealingRefused(`透明日志树头的签名公钥（${head.public_key}）不是本浏览器记住的平台公钥（${key}）`);
  }
  let ok = false;
  try {
    ok = ed25519.verify(unb64(head.signature), signedBytes(head), unb64(key));
  } catch {
    ok = false;
  }
  if (!ok) throw new SealingRefused("透明日志树头的平台签名验证失败");
  const root = fromHex(head.root_hash);
  if (saved) {
    if (head.size < saved.size) throw new SealingRefused("透明日志比本浏览器上次验证时变短了");
    let proof = [];
    if (saved.size > 0 && saved.size !== head.size) {
      const p = await api(`/log/consistency?first=${saved.size}&second=${head.size}`);
      proof = p.consistency_path.map(fromHex);
    }
    if (!verifyConsistency(saved.size, head.size, fromHex(saved.root_hash), root, proof)) {
      throw new SealingRefused("透明日志与本浏览器上次验证的树头不一致（日志被改写）");
    }
  }
  return { head, root };
}

/**
 * Checks decoded holder-key leaves against the served recipients (the pure part, exported for
 * tests): one entry per branch, written by `ggzy_<branch>`, about this tender, three different
 * recipients, each equal to the served one. Returns nothing; throws SealingRefused.
 */
export function checkHolderEntries(tenderId, leaves, served) {
  const found = {};
  const seen = {};
  for (const { index, leaf } of leaves) {
    const p = leaf.payload || {};
    const b = p.branch;
    const name = BRANCH_NAMES[b];
    if (leaf.topic !== TOPIC || !name) throw new SealingRefused(`日志条目 ${index} 不是持钥人公钥条目`);
    if (leaf.subject_type !== "tender" || leaf.subject_id !== tenderId || (p.tender_id && p.tender_id !== tenderId)) {
      throw new SealingRefused(`日志条目 ${index} 属于其他招标项目`);
    }
    if (leaf.writer !== `ggzy_${b}`) {
      throw new SealingRefused(`${name}的公钥条目（日志 ${index}）不是由${name}自己的平台写入的（写入者：${leaf.writer || "未知"}）`);
    }
    if (found[b]) throw new SealingRefused(`${name}在日志中有两个公钥条目（${found[b].index} 与 ${index}）`);
    if (seen[p.recipient]) throw new SealingRefused(`${name}与${BRANCH_NAMES[seen[p.recipient]]}登记了同一个公钥`);
    found[b] = { index, recipient: p.recipient };
    seen[p.recipient] = b;
  }
  for (const b of BRANCHES) {
    if (!found[b]) throw new SealingRefused(`${BRANCH_NAMES[b]}的公钥尚未记入已签名的透明日志`);
    if (found[b].recipient !== served[b]) {
      throw new SealingRefused(`服务器提供的${BRANCH_NAMES[b]}公钥与${BRANCH_NAMES[b]}记入透明日志的公钥（条目 ${found[b].index}）不一致`);
    }
  }
}

/**
 * Verifies the served recipients of a tender against the signed log; resolves when they match
 * (and remembers the verified head), throws SealingRefused otherwise. Waits up to 20 s for the
 * entries to reach a signed head (the platform signs heads a moment after a registration).
 */
export async function verifyRecipients(tenderId, served) {
  const started = Date.now();
  for (;;) {
    const { head, root } = await trustedHead();
    const page = await api(
      `/log/entries?subject_type=tender&subject_id=${encodeURIComponent(tenderId)}&topic=${TOPIC}&end=${head.size}`,
    );
    const items = page.items || [];
    if (items.length < BRANCHES.length && Date.now() - started < 20000) {
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    const leaves = [];
    for (const item of items) {
      if (!(item.index < head.size)) throw new SealingRefused(`日志条目 ${item.index} 不在已签名的树头内`);
      const bytes = unb64(item.leaf);
      const lh = leafHash(bytes);
      const p = await api(`/log/proof?index=${item.index}&size=${head.size}`);
      if (!verifyInclusion(item.index, head.size, lh, p.inclusion_path.map(fromHex), root)) {
        throw new SealingRefused(`日志条目 ${item.index} 的包含证明验证失败`);
      }
      leaves.push({ index: item.index, leaf: JSON.parse(new TextDecoder().decode(bytes)), hash: hex(lh) });
    }
    checkHolderEntries(tenderId, leaves, served);
    localStorage.setItem(STORE, JSON.stringify(head));
    return leaves;
  }
}
