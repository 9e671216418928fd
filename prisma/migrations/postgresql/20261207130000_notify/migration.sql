-- Beat hears of an edit the moment it commits: the change marker moves with
-- every edit of a periodic task or of a schedule it uses (and tools may
-- write it directly), and each statement that moves it sends one
-- notification on prisma_celery_beat, delivered on commit. Beat LISTENs and
-- re-reads at once, keeping its poll of the marker as a slower safety net.
CREATE FUNCTION "djcelery_periodictasks_notify"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('prisma_celery_beat', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER "djcelery_periodictasks_notify" AFTER INSERT OR UPDATE ON "djcelery_periodictasks"
FOR EACH STATEMENT EXECUTE FUNCTION "djcelery_periodictasks_notify"();
