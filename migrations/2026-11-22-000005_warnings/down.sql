REVOKE SELECT (bid_id, branch, holder_id, undecryptable, submitted_at) ON opening_pieces
    FROM ggzy_supervise;
DROP TABLE IF EXISTS warnings;
