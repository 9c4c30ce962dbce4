#!/usr/bin/env python3
"""Make tests/interop/vector.json: a sealed envelope `ggzy-sealed-bid/1` built by an independent
implementation of docs/API.md ("The sealed envelope"), for the Rust test
`sealing::open::tests::interop_vector_from_the_python_implementation_opens`.

Independent of the Rust code: its own XOR split, bundle JSON, bid document and envelope JSON, with
age files from pyrage (`pip install pyrage`) and, when the Go `age` CLI is installed
(`apt-get install age`), the payload encrypted by Go age and everything cross-decrypted by it, so
that two age implementations other than the Rust crate take part.

The holders' identities are test keys, generated afresh on each run and written into the vector.

Usage: python3 tests/interop/make_vector.py  (writes tests/interop/vector.json next to itself)
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pyrage
from pyrage import x25519

HERE = os.path.dirname(os.path.abspath(__file__))
FORMAT = "ggzy-sealed-bid/1"
BRANCH_PIECES = {"decide": (2, 3), "execute": (1, 3), "supervise": (1, 2)}
ORG_CODE = "91440400MA4UINTOP7"
PRICE = "2468013.57"
AGE_CLI = shutil.which("age")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def xor(*parts: bytes) -> bytes:
    assert len({len(p) for p in parts}) == 1
    out = bytearray(len(parts[0]))
    for p in parts:
        for i, byte in enumerate(p):
            out[i] ^= byte
    return bytes(out)


def go_age(args, data: bytes) -> bytes:
    return subprocess.run([AGE_CLI, *args], input=data, capture_output=True, check=True).stdout


def go_age_decrypt(identity: str, data: bytes) -> bytes:
    with tempfile.NamedTemporaryFile("w", suffix=".key", delete=False) as f:
        f.write(identity + "\n")
        path = f.name
    try:
        return go_age(["-d", "-i", path], data)
    finally:
        os.unlink(path)


def age_binary(data: bytes) -> bool:
    return data.startswith(b"age-encryption.org/v1\n")


def main() -> None:
    tender_id = str(uuid.uuid4())
    holders = {}
    for branch in BRANCH_PIECES:
        ident = x25519.Identity.generate()
        holders[branch] = {"identity": str(ident), "recipient": str(ident.to_public())}

    attachments = [(b"%PDF-1.7\n% interop qualification\n", "资质证书.pdf", "application/pdf"),
                   (os.urandom(300), "报价明细.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    document = {
        "tender_id": tender_id,
        "org_code": ORG_CODE,
        "nonce": os.urandom(16).hex(),
        "price": PRICE,
        "currency": "CNY",
        "duration_days": 180,
        "fields": {"sme": "small", "项目经理": "张三"},
        "attachments": [
            {"name": name, "media_type": mt, "sha256": hashlib.sha256(c).hexdigest(), "content": b64(c)}
            for (c, name, mt) in attachments
        ],
        "generator": "make_vector.py",  # other top-level keys are ignored by the opening
    }
    plaintext = json.dumps(document, ensure_ascii=False).encode("utf-8")

    # The one-time identity S: its AGE-SECRET-KEY-1… string exactly as age writes it, as bytes.
    one_time = x25519.Identity.generate()
    s = str(one_time).encode("ascii")
    assert s.startswith(b"AGE-SECRET-KEY-1") and s == s.upper() and b"\n" not in s
    if AGE_CLI:
        payload = go_age(["-r", str(one_time.to_public())], plaintext)
        payload_by = "go age " + go_age(["--version"], b"").decode().strip()
    else:
        payload = pyrage.encrypt(plaintext, [one_time.to_public()])
        payload_by = "pyrage"
    assert age_binary(payload)
    payload_sha256 = hashlib.sha256(payload).hexdigest()

    s1, s2 = os.urandom(len(s)), os.urandom(len(s))
    pieces = {1: s1, 2: s2, 3: xor(s, s1, s2)}

    bundles = {}
    for branch, nums in BRANCH_PIECES.items():
        bundle = {
            "tender_id": tender_id,
            "payload_sha256": payload_sha256,
            "pieces": {str(n): b64(pieces[n]) for n in nums},
        }
        recipient = x25519.Recipient.from_str(holders[branch]["recipient"])
        bundles[branch] = pyrage.encrypt(json.dumps(bundle).encode(), [recipient])
        assert age_binary(bundles[branch])

    envelope = json.dumps({
        "format": FORMAT,
        "tender_id": tender_id,
        "payload": b64(payload),
        "bundles": {b: b64(bundles[b]) for b in BRANCH_PIECES},
    })

    # Cross-check as a holder and as the server would, with pyrage and (if present) Go age.
    env = json.loads(envelope)
    got = {}
    for branch, nums in BRANCH_PIECES.items():
        blob = base64.b64decode(env["bundles"][branch], validate=True)
        ident = x25519.Identity.from_str(holders[branch]["identity"])
        plain = pyrage.decrypt(blob, [ident])
        if AGE_CLI:
            assert go_age_decrypt(holders[branch]["identity"], blob) == plain
        bundle = json.loads(plain)
        assert bundle["tender_id"] == tender_id and bundle["payload_sha256"] == payload_sha256
        assert sorted(bundle["pieces"]) == [str(n) for n in nums]
        for k, v in bundle["pieces"].items():
            got.setdefault(int(k), base64.b64decode(v, validate=True))
    rebuilt = xor(got[1], got[2], got[3])
    assert rebuilt == s
    payload_blob = base64.b64decode(env["payload"], validate=True)
    opened = pyrage.decrypt(payload_blob, [x25519.Identity.from_str(rebuilt.decode())])
    assert opened == plaintext
    if AGE_CLI:
        assert go_age_decrypt(rebuilt.decode(), payload_blob) == plaintext

    vector = {
        "description": "ggzy-sealed-bid/1 envelope made by tests/interop/make_vector.py "
                       "(independent Python implementation of docs/API.md); test keys only",
        "payload_encrypted_by": payload_by,
        "bundles_encrypted_by": "pyrage",
        "tender_id": tender_id,
        "org_code": ORG_CODE,
        "holders": holders,
        "envelope": envelope,
        "envelope_sha256": hashlib.sha256(envelope.encode()).hexdigest(),
        "payload_sha256": payload_sha256,
        "expected_price": PRICE,
        "expected_attachments": len(attachments),
    }
    out = os.path.join(HERE, "vector.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(vector, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {out} (payload by {payload_by}; cross-checked"
          f"{' with go age and pyrage' if AGE_CLI else ' with pyrage'})")


if __name__ == "__main__":
    main()
