create function is_valid_code(value text, allow_digits boolean default false) returns boolean language sql immutable
  as $$ select case when allow_digits then value ~ '^[A-Z0-9]+$' else value ~ '^[A-Z]+$' end $$;
create function next_code() returns varchar language sql volatile as $$ select 'B'::varchar $$;
create table items (id int primary key, code text not null default next_code() constraint items_code_check check (is_valid_code(code)));
