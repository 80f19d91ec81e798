create table audit (id int, touched timestamptz);
create function touch() returns trigger language plpgsql as $$ begin new.touched := now(); return new; end $$;
create trigger audit_touch before insert on audit for each row execute function touch();
create trigger audit_off before update on audit for each row execute function touch();
