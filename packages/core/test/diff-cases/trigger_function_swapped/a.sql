create table items (id int primary key, updated_at timestamptz, version int default 0);
create function touch() returns trigger language plpgsql as $$ begin new.updated_at := now(); return new; end $$;
create trigger items_touch before update on items for each row execute function touch();
