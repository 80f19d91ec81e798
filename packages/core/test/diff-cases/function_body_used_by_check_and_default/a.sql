create function is_valid_code(code text) returns boolean language sql immutable as $$ select code ~ '^[A-Z]+$' $$;
create function next_code() returns text language sql volatile as $$ select 'A' $$;
create table items (id int primary key, code text not null default next_code() check (is_valid_code(code)));
insert into items values (1, 'ABC');
