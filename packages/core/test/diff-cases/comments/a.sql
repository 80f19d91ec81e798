create schema app;
create table app.things (id int primary key, name text);
create view app.thing_names as select name from app.things;
create function app.f() returns int language sql as $$ select 1 $$;
create type app.color as enum ('red');
create index things_name on app.things(name);
comment on table app.things is 'old comment';
comment on column app.things.name is 'to be removed';
comment on schema app is 'the app';
