-- Identifiers compared byte for byte, as on PostgreSQL and SQLite.
--
-- The tables' default collation, utf8mb4_unicode_ci, ignores case and
-- accents, and pads with spaces: the task ids `Invoice-42`, `invoice-42`,
-- `invoice-42 ` and `Invöice-42` were one row, so an id never stored read
-- another task's result, and a FAILURE stored for one was dropped behind
-- another's SUCCESS. Every VARCHAR(255) column (the `@id255` fields of
-- prisma/schema.prisma: ids, states, names, host names, queues, crontab
-- fields) gets a binary collation that does not pad: utf8mb4_nopad_bin on
-- MariaDB, utf8mb4_0900_bin on MySQL 8.0.17+ (MySQL's utf8mb4_bin, like
-- MariaDB's, still ignores trailing spaces). Periodic task names are exact
-- too: `Report` and `report` are two entries, as on PostgreSQL and SQLite
-- (django-celery-beat on MySQL would treat them as one).
--
-- Existing rows need no change and cannot collide: the old unique indexes
-- allowed no two ids equal under the looser collation, so none are equal
-- under this one. A row that several such ids shared keeps the id that
-- created it; the others now read as never stored (PENDING).
--
-- Neither server has one collation name for this, so each ALTER is built
-- with the one the server has. Each rebuilds its table once.
SET @exact_ids_collation = (
    SELECT IF(COUNT(*) > 0, 'utf8mb4_nopad_bin', 'utf8mb4_0900_bin')
    FROM information_schema.COLLATIONS WHERE COLLATION_NAME = 'utf8mb4_nopad_bin'
);

SET @exact_ids_sql = REPLACE('ALTER TABLE `celery_taskmeta`
    MODIFY `task_id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    MODIFY `status` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL DEFAULT ''PENDING'',
    MODIFY `name` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NULL,
    MODIFY `worker` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NULL,
    MODIFY `queue` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NULL', '{exact}', @exact_ids_collation);
PREPARE exact_ids FROM @exact_ids_sql;
EXECUTE exact_ids;
DEALLOCATE PREPARE exact_ids;

SET @exact_ids_sql = REPLACE('ALTER TABLE `celery_tasksetmeta`
    MODIFY `taskset_id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL', '{exact}', @exact_ids_collation);
PREPARE exact_ids FROM @exact_ids_sql;
EXECUTE exact_ids;
DEALLOCATE PREPARE exact_ids;

SET @exact_ids_sql = REPLACE('ALTER TABLE `djcelery_intervalschedule`
    MODIFY `period` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL', '{exact}', @exact_ids_collation);
PREPARE exact_ids FROM @exact_ids_sql;
EXECUTE exact_ids;
DEALLOCATE PREPARE exact_ids;

SET @exact_ids_sql = REPLACE('ALTER TABLE `djcelery_crontabschedule`
    MODIFY `minute` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL DEFAULT ''*'',
    MODIFY `hour` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL DEFAULT ''*'',
    MODIFY `day_of_week` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL DEFAULT ''*'',
    MODIFY `day_of_month` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL DEFAULT ''*'',
    MODIFY `month_of_year` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL DEFAULT ''*'',
    MODIFY `timezone` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL DEFAULT ''UTC''', '{exact}', @exact_ids_collation);
PREPARE exact_ids FROM @exact_ids_sql;
EXECUTE exact_ids;
DEALLOCATE PREPARE exact_ids;

SET @exact_ids_sql = REPLACE('ALTER TABLE `djcelery_periodictask`
    MODIFY `name` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    MODIFY `task` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    MODIFY `queue` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NULL,
    MODIFY `exchange` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NULL,
    MODIFY `routing_key` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NULL', '{exact}', @exact_ids_collation);
PREPARE exact_ids FROM @exact_ids_sql;
EXECUTE exact_ids;
DEALLOCATE PREPARE exact_ids;

SET @exact_ids_sql = REPLACE('ALTER TABLE `djcelery_periodictask_deleted`
    MODIFY `name` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL', '{exact}', @exact_ids_collation);
PREPARE exact_ids FROM @exact_ids_sql;
EXECUTE exact_ids;
DEALLOCATE PREPARE exact_ids;

SET @exact_ids_sql = REPLACE('ALTER TABLE `djcelery_workerstate`
    MODIFY `hostname` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL', '{exact}', @exact_ids_collation);
PREPARE exact_ids FROM @exact_ids_sql;
EXECUTE exact_ids;
DEALLOCATE PREPARE exact_ids;

SET @exact_ids_sql = REPLACE('ALTER TABLE `djcelery_taskstate`
    MODIFY `state` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    MODIFY `task_id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    MODIFY `name` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NULL', '{exact}', @exact_ids_collation);
PREPARE exact_ids FROM @exact_ids_sql;
EXECUTE exact_ids;
DEALLOCATE PREPARE exact_ids;
