create schema app;
create table app.early (id int);
alter default privileges grant select, insert on tables to schemainspect_test_role;
alter default privileges in schema app grant usage, select on sequences to schemainspect_test_role;
alter default privileges revoke execute on functions from public;
create table app.items (id serial primary key, name text);
create function app.item_count() returns bigint language sql as $$ select count(*) from app.items $$;
create table public.later (id int);
