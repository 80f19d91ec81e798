create table audit (id int, touched timestamptz);
create function touch() returns trigger language plpgsql as $$ begin new.touched := clock_timestamp(); return new; end $$;
create trigger audit_touch before insert or update on audit for each row execute function touch();
create trigger audit_off before update on audit for each row execute function touch();
alter table audit disable trigger audit_off;
