-- Beat's claims at the speed of the UPDATE itself.
--
-- Every UPDATE of a periodic task evaluated "djcelery_periodictask_edited"
-- in three trigger conditions. Called with the whole OLD and NEW rows, the
-- function rebuilds each row once for every column it reads: a claim (one
-- row's last_run_at, total_run_count and next_run_at) took 2.5-3 ms of the
-- server's time, where the same comparison written in the conditions
-- themselves takes 0.5 ms. A million-row schedule's overdue runs drained at
-- about 550 a second, bound by it.
--
-- The same three triggers, in the same (name) order, with the same
-- conditions written out. The function stays for djcelery_periodictask_stamp.

DROP TRIGGER "djcelery_periodictask_edit_restamp" ON "djcelery_periodictask";
DROP TRIGGER "djcelery_periodictask_updated" ON "djcelery_periodictask";
DROP TRIGGER "djcelery_periodictask_audit_changed" ON "djcelery_periodictask";

CREATE TRIGGER "djcelery_periodictask_edit_restamp" BEFORE UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN ((NEW."change_version" <= 0 OR NEW."change_version" = OLD."change_version")
    AND (OLD."name", OLD."task", OLD."args", OLD."kwargs", OLD."queue", OLD."exchange", OLD."routing_key",
         OLD."headers", OLD."description", OLD."interval_id", OLD."crontab_id", OLD."clocked_id", OLD."priority",
         OLD."expires", OLD."expire_seconds", OLD."one_off", OLD."start_time", OLD."enabled")
        IS DISTINCT FROM
        (NEW."name", NEW."task", NEW."args", NEW."kwargs", NEW."queue", NEW."exchange", NEW."routing_key",
         NEW."headers", NEW."description", NEW."interval_id", NEW."crontab_id", NEW."clocked_id", NEW."priority",
         NEW."expires", NEW."expire_seconds", NEW."one_off", NEW."start_time", NEW."enabled"))
EXECUTE FUNCTION "djcelery_periodictask_restamp"();

CREATE TRIGGER "djcelery_periodictask_updated" BEFORE UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN (NEW."change_version" <= 0
    OR (NEW."change_version" = OLD."change_version"
        AND (OLD."name", OLD."task", OLD."args", OLD."kwargs", OLD."queue", OLD."exchange", OLD."routing_key",
             OLD."headers", OLD."description", OLD."interval_id", OLD."crontab_id", OLD."clocked_id", OLD."priority",
             OLD."expires", OLD."expire_seconds", OLD."one_off", OLD."start_time", OLD."enabled")
            IS DISTINCT FROM
            (NEW."name", NEW."task", NEW."args", NEW."kwargs", NEW."queue", NEW."exchange", NEW."routing_key",
             NEW."headers", NEW."description", NEW."interval_id", NEW."crontab_id", NEW."clocked_id", NEW."priority",
             NEW."expires", NEW."expire_seconds", NEW."one_off", NEW."start_time", NEW."enabled")))
EXECUTE FUNCTION "djcelery_periodictask_stamp"();

CREATE TRIGGER "djcelery_periodictask_audit_changed" AFTER UPDATE ON "djcelery_periodictask"
FOR EACH ROW WHEN ((OLD."name", OLD."task", OLD."args", OLD."kwargs", OLD."queue", OLD."exchange", OLD."routing_key",
                    OLD."headers", OLD."description", OLD."interval_id", OLD."crontab_id", OLD."clocked_id", OLD."priority",
                    OLD."expires", OLD."expire_seconds", OLD."one_off", OLD."start_time", OLD."enabled")
    IS DISTINCT FROM
                   (NEW."name", NEW."task", NEW."args", NEW."kwargs", NEW."queue", NEW."exchange", NEW."routing_key",
                    NEW."headers", NEW."description", NEW."interval_id", NEW."crontab_id", NEW."clocked_id", NEW."priority",
                    NEW."expires", NEW."expire_seconds", NEW."one_off", NEW."start_time", NEW."enabled"))
EXECUTE FUNCTION "djcelery_periodictask_audit_edit"();
