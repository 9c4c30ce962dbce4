-- Public portal (issue 6): announcements (公告) with Chinese text search, for GET /public/announcements
-- and GET /public/results. An announcement is derived from a public outbox row in the same
-- transaction (an AFTER INSERT trigger), so a published notice and its announcement commit
-- together; the portal lists only rows the sequencer has numbered and pages by that number.

-- Search tokens (DESIGN.md §7): runs of ASCII letters and digits become one lower-case word; runs
-- of CJK ideographs give every single character and every adjacent bigram. For a query
-- (`for_query`), a run of two or more ideographs gives only its bigrams, a lone ideograph itself.
-- Everything else separates tokens. src/public/search.rs implements the same function in Rust
-- (a test checks that they agree).
CREATE FUNCTION ggzy_search_tokens(doc text, for_query boolean) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    run text;
    n   integer;
    i   integer;
    out text[] := '{}';
BEGIN
    FOR run IN
        SELECT m[1] FROM regexp_matches(doc,
            '([A-Za-z0-9]+|[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0003134F]+)', 'g') AS m
    LOOP
        IF run ~ '^[A-Za-z0-9]' THEN
            out := out || lower(run);
        ELSE
            n := char_length(run);
            IF n = 1 OR NOT for_query THEN
                FOR i IN 1..n LOOP
                    out := out || substr(run, i, 1);
                END LOOP;
            END IF;
            FOR i IN 1..n - 1 LOOP
                out := out || substr(run, i, 2);
            END LOOP;
        END IF;
    END LOOP;
    RETURN out;
END
$$;

-- The tsquery that needs every token (quoted lexemes: no parser, no dictionary, `simple`).
CREATE FUNCTION ggzy_search_query(tokens text[]) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(quote_literal(t), ' & '), '')::tsquery FROM unnest(tokens) AS t
$$;

CREATE TABLE announcements (
    outbox_id     bigint PRIMARY KEY REFERENCES outbox (id) ON DELETE RESTRICT,
    region_code   text NOT NULL,
    category      text NOT NULL CHECK (category IN ('construction', 'procurement', 'property', 'land')),
    kind          text NOT NULL CHECK (kind IN ('notice', 'clarification', 'closing_manifest',
                      'opening_record', 'candidates', 'award', 'contract', 'cancellation',
                      'auction_notice', 'auction_result')),
    topic         text NOT NULL,
    subject_type  text NOT NULL CHECK (subject_type IN ('tender', 'auction')),
    subject_id    uuid NOT NULL,
    project_code  text NOT NULL,
    code          text NOT NULL,
    title         text NOT NULL,
    summary       text NOT NULL,
    tenderer_name text,
    agency_name   text,
    details       jsonb NOT NULL,
    published_at  timestamptz NOT NULL,
    search        tsvector NOT NULL
);
CREATE INDEX announcements_search_idx ON announcements USING gin (search);
CREATE INDEX announcements_category_idx ON announcements (category, outbox_id);
CREATE INDEX announcements_subject_idx ON announcements (subject_id);
-- written only by the trigger below (SECURITY DEFINER): no plane writes it
COMMENT ON TABLE announcements IS 'plane:core';

-- Money as the announcement shows it.
CREATE FUNCTION ggzy_yuan(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN '—' ELSE v || ' 元' END
$$;

-- A time as the portal shows it: Asia/Shanghai. A value that is not a time is shown as it is, so
-- that formatting can never make a business transaction fail.
CREATE FUNCTION ggzy_cst(v text) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF v IS NULL THEN
        RETURN '—';
    END IF;
    RETURN to_char(v::timestamptz AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI');
EXCEPTION WHEN others THEN
    RETURN v;
END
$$;

CREATE FUNCTION ggzy_announce() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p        jsonb := NEW.payload;
    k        text;
    sid      uuid;
    cat      text;
    pcode    text;
    ptitle   text;
    scode    text;
    stitle   text;
    fmt      text;
    owner_id uuid;
    agent_id uuid;
    tenderer text;
    agent    text;
    label    text;
    summary  text;
    title    text;
BEGIN
    k := CASE NEW.topic
        WHEN 'tender.notice' THEN 'notice'
        WHEN 'tender.clarification' THEN 'clarification'
        WHEN 'tender.closing_manifest' THEN 'closing_manifest'
        WHEN 'tender.opening_record' THEN 'opening_record'
        WHEN 'tender.candidates' THEN 'candidates'
        WHEN 'tender.award' THEN 'award'
        WHEN 'tender.contract' THEN 'contract'
        WHEN 'tender.cancellation' THEN 'cancellation'
        WHEN 'auction.announcement' THEN 'auction_notice'
        WHEN 'auction.result' THEN 'auction_result'
    END;
    IF k IS NULL OR NEW.subject_id IS NULL
       OR NEW.subject_id !~ '^[0-9a-fA-F-]{36}$' THEN
        RETURN NULL;
    END IF;
    sid := NEW.subject_id::uuid;
    IF NEW.subject_type = 'tender' THEN
        SELECT pr.category, pr.code, pr.title, t.code, t.title, pr.owner_org_id, pr.agency_org_id
          INTO cat, pcode, ptitle, scode, stitle, owner_id, agent_id
          FROM tenders t JOIN projects pr ON pr.id = t.project_id WHERE t.id = sid;
    ELSIF NEW.subject_type = 'auction' THEN
        SELECT pr.category, pr.code, pr.title, a.code, a.title, a.format, pr.owner_org_id, pr.agency_org_id
          INTO cat, pcode, ptitle, scode, stitle, fmt, owner_id, agent_id
          FROM auctions a JOIN projects pr ON pr.id = a.project_id WHERE a.id = sid;
    END IF;
    IF cat IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT name INTO tenderer FROM orgs WHERE id = owner_id;
    SELECT name INTO agent FROM orgs WHERE id = agent_id;

    label := CASE k
        WHEN 'notice' THEN CASE cat WHEN 'construction' THEN '招标公告' WHEN 'procurement' THEN '采购公告'
                                    WHEN 'land' THEN '招标出让公告' ELSE '转让公告' END
        WHEN 'clarification' THEN '澄清（变更）公告'
        WHEN 'closing_manifest' THEN '投标截止清单'
        WHEN 'opening_record' THEN '开标记录'
        WHEN 'candidates' THEN '中标候选人公示'
        WHEN 'award' THEN CASE cat WHEN 'procurement' THEN '中标（成交）结果公告'
                                   WHEN 'construction' THEN '中标结果公告' ELSE '成交结果公告' END
        WHEN 'contract' THEN '合同公告'
        WHEN 'cancellation' THEN '终止公告'
        WHEN 'auction_notice' THEN CASE fmt WHEN 'english' THEN '拍卖公告' WHEN 'listing' THEN '挂牌公告'
                                            ELSE '网络竞价公告' END
        WHEN 'auction_result' THEN CASE p->>'result' WHEN 'sold' THEN '成交公示' ELSE '流拍公告' END
    END;
    summary := CASE k
        WHEN 'notice' THEN '最高投标限价：' || ggzy_yuan(p->>'max_price')
            || '；获取招标文件：' || ggzy_cst(p->>'documents_from') || ' 至 ' || ggzy_cst(p->>'documents_until')
            || '；投标截止及开标时间：' || ggzy_cst(p->>'bid_deadline')
        WHEN 'clarification' THEN left(coalesce(p->>'text', ''), 2000)
            || '（投标截止时间：' || ggzy_cst(p->>'bid_deadline') || '）'
        WHEN 'closing_manifest' THEN '投标截止时间已到，共收到投标文件 '
            || coalesce(CASE jsonb_typeof(p->'bids') WHEN 'array' THEN jsonb_array_length(p->'bids') END, 0)
            || ' 份'
        WHEN 'opening_record' THEN '开标时间：' || ggzy_cst(p->>'opened_at')
        WHEN 'candidates' THEN '公示截止时间：' || ggzy_cst(p->>'publicity_ends_at')
        WHEN 'award' THEN '中标人：' || coalesce(p->>'winner_name', '—') || '（' || coalesce(p->>'org_code', '—')
            || '）；中标价：' || ggzy_yuan(p->>'price')
        WHEN 'contract' THEN '合同金额：' || ggzy_yuan(p->>'amount') || '；签订日期：' || ggzy_cst(p->>'signed_at')
        WHEN 'cancellation' THEN '终止原因：' || coalesce(p->>'reason', '')
        WHEN 'auction_notice' THEN '起始价：' || ggzy_yuan(p->>'start_price') || '；竞价开始时间：'
            || ggzy_cst(p->>'starts_at')
        WHEN 'auction_result' THEN CASE p->>'result' WHEN 'sold' THEN '成交价：' || ggzy_yuan(p->>'price')
                                   ELSE '本次交易未成交' END
    END;
    title := ptitle || ' ' || stitle || ' ' || label;
    INSERT INTO announcements (outbox_id, region_code, category, kind, topic, subject_type, subject_id,
        project_code, code, title, summary, tenderer_name, agency_name, details, published_at, search)
    VALUES (NEW.id, NEW.region_code, cat, k, NEW.topic, NEW.subject_type, sid, pcode, scode, title,
        summary, tenderer, agent, p, NEW.created_at,
        array_to_tsvector(ggzy_search_tokens(
            concat_ws(' ', title, summary, pcode, scode, tenderer, agent, p->>'winner_name'), false)));
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_announce AFTER INSERT ON outbox
    FOR EACH ROW WHEN (NEW.kind = 'public') EXECUTE FUNCTION ggzy_announce();

REVOKE EXECUTE ON FUNCTION ggzy_search_tokens(text, boolean), ggzy_search_query(text[]),
    ggzy_yuan(text), ggzy_cst(text), ggzy_announce() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ggzy_search_tokens(text, boolean), ggzy_search_query(text[])
    TO ggzy_public;
-- the trigger runs in every writing plane's transaction (as its definer)
GRANT EXECUTE ON FUNCTION ggzy_announce() TO ggzy_identity, ggzy_decide, ggzy_execute, ggzy_supervise;

GRANT SELECT ON announcements TO ggzy_public;
-- the portal pages by the sequencer's number, so it reads which outbox rows are numbered
GRANT SELECT (seq, outbox_id) ON outbox_seq TO ggzy_public;
