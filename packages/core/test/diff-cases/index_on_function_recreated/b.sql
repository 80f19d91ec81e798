create function norm(t text, keep_case boolean default false) returns text language sql immutable as $$ select case when keep_case then t else lower(t) end $$;
create table people (id int primary key, name text);
create index people_norm_idx on people (norm(name));
create table tags (id int primary key, label text check (norm(label) <> ''));
