REVOKE SELECT (seq, outbox_id) ON outbox_seq FROM ggzy_public;
DROP TRIGGER IF EXISTS outbox_announce ON outbox;
DROP TABLE IF EXISTS announcements;
DROP FUNCTION IF EXISTS ggzy_announce();
DROP FUNCTION IF EXISTS ggzy_cst(text);
DROP FUNCTION IF EXISTS ggzy_yuan(text);
DROP FUNCTION IF EXISTS ggzy_search_query(text[]);
DROP FUNCTION IF EXISTS ggzy_search_tokens(text, boolean);
