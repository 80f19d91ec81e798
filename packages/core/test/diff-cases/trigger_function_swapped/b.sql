create table items (id int primary key, updated_at timestamptz, version int default 0);
create function bump_version() returns trigger language plpgsql as $$ begin new.version := old.version + 1; new.updated_at := now(); return new; end $$;
create trigger items_touch before update on items for each row when (old.* is distinct from new.*) execute function bump_version();
