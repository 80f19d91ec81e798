create function is_valid_code(code text) returns boolean language sql immutable as $$ select code ~ '^[A-Z0-9]+$' $$;
create function next_code() returns text language sql volatile as $$ select 'B' $$;
create table items (id int primary key, code text not null default next_code() check (is_valid_code(code)));
