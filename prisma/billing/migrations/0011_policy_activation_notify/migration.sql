-- The payer policy set in force is cached by every billing instance (issue #10). An activation NOTIFYs
-- channel billing_policy_activation with its id at commit, and each instance LISTENs and refreshes its
-- cache ahead of the next event (services/billing/src/policies/policy-set.store.ts, which also says why
-- every event transaction still checks the newest activation id).
-- No semicolon may appear in this file but between statements: the migration runner splits on it. The
-- function body spells its semicolons as the escape \073 of an E'' string.
CREATE FUNCTION "billing"."policy_activation_notify"() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN PERFORM pg_notify(''billing_policy_activation'', NEW.id::text)\073 RETURN NULL\073 END';

CREATE TRIGGER "policy_activation_notify" AFTER INSERT ON "billing"."policy_activation"
  FOR EACH ROW EXECUTE FUNCTION "billing"."policy_activation_notify"();
