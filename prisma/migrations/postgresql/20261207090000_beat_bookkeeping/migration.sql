-- Beat's bookkeeping is never an edit.
--
-- beat_change_tracking counted an UPDATE of last_run_at/total_run_count
-- that was not beat's +1 claim as an edit: beat's give-back (−1) then
-- restamped date_changed, and an entry that never ran and has no start_time
-- counts its schedule from date_changed, so a daily crontab whose first
-- publish failed once was next due a day later.
--
-- From here on the columns beat owns (last_run_at, total_run_count,
-- next_run_at) never count, whoever writes them:
-- - an edit (a change of any other column but date_changed) advances the
--   marker, stamps change_version and restamps date_changed, as before;
-- - a touch (change_version set to 0) advances the marker and stamps
--   change_version only: every beat re-reads the row, but its schedule
--   still counts from the same instant. Beat touches the row when it gives
--   a run back, so that another beat may send it at once;
-- - anything else (beat's claims and give-backs, a raw reset of
--   total_run_count) is not a change. Touch the row too if a running beat
--   must see it.

-- Whether an UPDATE changed a column beat does not own.
CREATE FUNCTION "djcelery_periodictask_edited"("old" "djcelery_periodictask", "new" "djcelery_periodictask") RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT ("old"."name", "old"."task", "old"."args", "old"."kwargs", "old"."queue", "old"."exchange", "old"."routing_key",
            "old"."headers", "old"."description", "old"."interval_id", "old"."crontab_id", "old"."clocked_id", "old"."priority",
            "old"."expires", "old"."expire_seconds", "old"."one_off", "old"."start_time", "old"."enabled")
        IS DISTINCT FROM
           ("new"."name", "new"."task", "new"."args", "new"."kwargs", "new"."queue", "new"."exchange", "new"."routing_key",
            "new"."headers", "new"."description", "new"."interval_id", "new"."crontab_id", "new"."clocked_id", "new"."priority",
            "new"."expires", "new"."expire_seconds", "new"."one_off", "new"."start_time", "new"."enabled");
$$;

CREATE OR REPLACE FUNCTION "djcelery_periodictask_stamp"() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW."change_version" := "djcelery_periodictasks_bump"();
    IF TG_OP = 'UPDATE' AND "djcelery_periodictask_edited"(OLD, NEW) THEN
        NEW."date_changed" := CURRENT_TIMESTAMP;
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER "djcelery_periodictask_updated" ON "djcelery_periodictask";

CREATE TRIGGER "djcelery_periodictask_updated" BEFORE UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN (NEW."change_version" <= 0
    OR (NEW."change_version" = OLD."change_version" AND "djcelery_periodictask_edited"(OLD, NEW)))
EXECUTE FUNCTION "djcelery_periodictask_stamp"();
