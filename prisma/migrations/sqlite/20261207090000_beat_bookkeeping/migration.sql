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
-- The columns are compared as one row value (the same list twice: in the
-- condition, and for date_changed).

DROP TRIGGER "djcelery_periodictask_updated";

CREATE TRIGGER "djcelery_periodictask_updated" AFTER UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN NEW."change_version" <= 0
    OR (NEW."change_version" = OLD."change_version"
        AND (OLD."name", OLD."task", OLD."args", OLD."kwargs", OLD."queue", OLD."exchange", OLD."routing_key", OLD."headers",
             OLD."description", OLD."interval_id", OLD."crontab_id", OLD."clocked_id", OLD."priority", OLD."expires",
             OLD."expire_seconds", OLD."one_off", OLD."start_time", OLD."enabled")
        IS NOT (NEW."name", NEW."task", NEW."args", NEW."kwargs", NEW."queue", NEW."exchange", NEW."routing_key", NEW."headers",
                NEW."description", NEW."interval_id", NEW."crontab_id", NEW."clocked_id", NEW."priority", NEW."expires",
                NEW."expire_seconds", NEW."one_off", NEW."start_time", NEW."enabled"))
BEGIN
    INSERT INTO "djcelery_periodictasks" ("ident", "last_update", "version") VALUES (1, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), 1)
        ON CONFLICT ("ident") DO UPDATE SET "version" = "version" + 1, "last_update" = excluded."last_update";
    UPDATE "djcelery_periodictask"
        SET "change_version" = (SELECT "version" FROM "djcelery_periodictasks" WHERE "ident" = 1),
            "date_changed" = CASE
                WHEN (OLD."name", OLD."task", OLD."args", OLD."kwargs", OLD."queue", OLD."exchange", OLD."routing_key", OLD."headers",
                      OLD."description", OLD."interval_id", OLD."crontab_id", OLD."clocked_id", OLD."priority", OLD."expires",
                      OLD."expire_seconds", OLD."one_off", OLD."start_time", OLD."enabled")
                    IS NOT (NEW."name", NEW."task", NEW."args", NEW."kwargs", NEW."queue", NEW."exchange", NEW."routing_key", NEW."headers",
                            NEW."description", NEW."interval_id", NEW."crontab_id", NEW."clocked_id", NEW."priority", NEW."expires",
                            NEW."expire_seconds", NEW."one_off", NEW."start_time", NEW."enabled")
                THEN strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') ELSE "date_changed" END
        WHERE "id" = NEW."id";
END;
