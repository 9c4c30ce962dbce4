-- The transparency log (DESIGN.md §8, docs/TRANSPARENCY.md): public entries appended by the
-- sequencer as leaves of an RFC 9162 Merkle tree, and the signed tree heads. Insert-only history:
-- the only update is signing a head stored while no platform key was at hand.

CREATE TABLE transparency_leaves (
    idx          bigint PRIMARY KEY CHECK (idx >= 0),
    -- the outbox row's sequence number; NULL for the sequencer's own leaves (audit.head)
    outbox_seq   bigint UNIQUE,
    topic        text NOT NULL,
    -- the exact bytes hashed: JCS of {seq, topic, subject_type, subject_id, created_at, payload}
    leaf         bytea NOT NULL,
    leaf_hash    bytea NOT NULL CHECK (length(leaf_hash) = 32),
    appended_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX transparency_leaves_audit_head_idx ON transparency_leaves (idx)
    WHERE topic = 'audit.head';
COMMENT ON TABLE transparency_leaves IS 'plane:sequencer';

CREATE TABLE transparency_heads (
    size         bigint PRIMARY KEY CHECK (size >= 0),
    root_hash    bytea NOT NULL CHECK (length(root_hash) = 32),
    -- the platform time written in the signed head
    ts           timestamptz NOT NULL,
    -- the perfect subtrees' roots (largest first) to extend the tree without reading the leaves
    frontier     bytea NOT NULL,
    -- base64 Ed25519 over JCS({root_hash, size, timestamp}); NULL until a sequencer holding the
    -- platform key signs it
    signature    text,
    public_key   text,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX transparency_heads_signed_idx ON transparency_heads (size) WHERE signature IS NOT NULL;
COMMENT ON TABLE transparency_heads IS 'plane:sequencer';

GRANT SELECT, INSERT ON transparency_leaves, transparency_heads TO ggzy_sequencer;
GRANT UPDATE (signature, public_key) ON transparency_heads TO ggzy_sequencer;
GRANT SELECT ON transparency_leaves, transparency_heads TO ggzy_public, ggzy_supervise;
