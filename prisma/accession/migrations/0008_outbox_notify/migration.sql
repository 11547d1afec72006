-- The outbox relay is woken by LISTEN/NOTIFY instead of polling (issue #10). Every INSERT statement into
-- the outbox NOTIFYs channel outbox_<schema> once (FOR EACH STATEMENT, so a multi-row insert is one
-- notification). Postgres delivers it at commit, and not at all on rollback. The relay LISTENs on a
-- connection of its own (libs/messaging pg-listener.ts) and keeps a slow safety poll.
-- No semicolon may appear in this file but between statements: the migration runner splits on it. The
-- function body spells its semicolons as the escape \073 of an E'' string.
CREATE FUNCTION "accession"."outbox_notify"() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN PERFORM pg_notify(''outbox_'' || TG_TABLE_SCHEMA, '''')\073 RETURN NULL\073 END';

CREATE TRIGGER "outbox_notify" AFTER INSERT ON "accession"."outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION "accession"."outbox_notify"();
