-- Beat liveness (djcelery_beatstate) and the monitor's retry links
-- (celery_taskretry). Their VARCHAR(255) columns compare byte for byte, as
-- every id column does since 20261207090100_exact_ids, with the collation
-- the server has (utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on MySQL).
SET @monitor_collation = (
    SELECT IF(COUNT(*) > 0, 'utf8mb4_nopad_bin', 'utf8mb4_0900_bin')
    FROM information_schema.COLLATIONS WHERE COLLATION_NAME = 'utf8mb4_nopad_bin'
);

SET @monitor_sql = REPLACE('CREATE TABLE `djcelery_beatstate` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `beat_id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    `hostname` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    `pid` INTEGER NOT NULL,
    `started` DATETIME(3) NOT NULL,
    `last_tick` DATETIME(3) NOT NULL,
    `max_interval` DOUBLE NOT NULL,
    `version` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    `stopped` DATETIME(3) NULL,

    UNIQUE INDEX `djcelery_beatstate_beat_id_key`(`beat_id`),
    INDEX `djcelery_beatstate_last_tick_idx`(`last_tick`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', '{exact}', @monitor_collation);
PREPARE monitor_tables FROM @monitor_sql;
EXECUTE monitor_tables;
DEALLOCATE PREPARE monitor_tables;

SET @monitor_sql = REPLACE('CREATE TABLE `celery_taskretry` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `task_id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    `retry_of` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact} NOT NULL,
    `date_sent` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    UNIQUE INDEX `celery_taskretry_task_id_key`(`task_id`),
    INDEX `celery_taskretry_retry_of_idx`(`retry_of`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', '{exact}', @monitor_collation);
PREPARE monitor_tables FROM @monitor_sql;
EXECUTE monitor_tables;
DEALLOCATE PREPARE monitor_tables;
