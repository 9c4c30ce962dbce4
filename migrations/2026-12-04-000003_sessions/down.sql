DROP FUNCTION IF EXISTS ggzy_session_state(uuid, uuid);
DROP TABLE IF EXISTS identity_rate_limits;
ALTER TABLE login_throttle DROP COLUMN IF EXISTS last_success_at;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_disabled_reason,
    DROP COLUMN IF EXISTS disabled_reason, DROP COLUMN IF EXISTS disabled_at;
DROP TABLE IF EXISTS sessions;
