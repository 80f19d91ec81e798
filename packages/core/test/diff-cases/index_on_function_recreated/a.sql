create function norm(t text) returns text language sql immutable as $$ select lower(t) $$;
create table people (id int primary key, name text);
create index people_norm_idx on people (norm(name));
create table tags (id int primary key, label text check (norm(label) <> ''));
