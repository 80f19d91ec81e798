create schema legacy;
create type legacy.kind as enum ('a', 'b');
create domain legacy.code as text check (value <> '');
create sequence legacy.counter;
create table legacy.items (id int primary key default nextval('legacy.counter'), kind legacy.kind, code legacy.code);
create function legacy.count_items() returns bigint language sql as $$ select count(*) from legacy.items $$;
create view legacy.item_view as select id, kind from legacy.items;
create table public.keep (id int primary key, kind_copy text);
