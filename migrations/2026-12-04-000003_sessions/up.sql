-- Sessions, revocation and throttles (issue 13, findings 5, 6 and 10).
--
-- A row per issued access token (`id` = the token's `jti`): sign-out, a password change and an
-- account's disabling revoke rows, and the gate asks `ggzy_session_state()` on every request
-- (one primary-key lookup), so a revoked token stops working at its next request on any node.
-- Issue 17 will put an HttpOnly session cookie in front of the bearer API; the cookie can name
-- the same row.
CREATE TABLE sessions (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at     timestamptz NOT NULL DEFAULT ggzy_now(),
    -- the token's `exp`, in real time like the token itself (not the sandbox clock)
    expires_at     timestamptz NOT NULL,
    client_addr    text,
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN
        ('sign_out', 'sign_out_everywhere', 'password_change', 'account_disabled')),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX sessions_user_live_idx ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
COMMENT ON TABLE sessions IS 'plane:identity';
COMMENT ON COLUMN sessions.id IS 'the jti of the access token this row stands for';

-- An account the admin disabled: no login, every session revoked.
ALTER TABLE users ADD COLUMN disabled_at timestamptz,
    ADD COLUMN disabled_reason text CHECK (length(disabled_reason) BETWEEN 1 AND 500),
    ADD CONSTRAINT users_disabled_reason CHECK ((disabled_at IS NULL) = (disabled_reason IS NULL));

-- A successful login from a (username, address) pair marks the address as known for the
-- account: the account-wide limit does not apply to it, and the address-wide limit does not
-- shrink its free failures (docs/security/sessions.md).
ALTER TABLE login_throttle ADD COLUMN last_success_at timestamptz;

-- Fixed-window counters of the identity plane (self-registrations per client address).
CREATE TABLE identity_rate_limits (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL CHECK (count >= 0)
);
COMMENT ON TABLE identity_rate_limits IS 'plane:identity';

-- The gate's question, asked by every plane's role: is this token's session live? Only a
-- verdict leaves the function (no addresses, no other users' sessions).
CREATE FUNCTION ggzy_session_state(p_jti uuid, p_user uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE
        WHEN s.id IS NULL THEN 'unknown'
        WHEN u.disabled_at IS NOT NULL THEN 'disabled'
        WHEN s.revoked_at IS NOT NULL THEN 'revoked'
        ELSE 'active'
    END
    FROM (SELECT 1) AS one
    LEFT JOIN sessions s ON s.id = p_jti AND s.user_id = p_user
    LEFT JOIN users u ON u.id = s.user_id
$$;
REVOKE EXECUTE ON FUNCTION ggzy_session_state(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_session_state(uuid, uuid)
    TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;

GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, identity_rate_limits TO ggzy_identity;
