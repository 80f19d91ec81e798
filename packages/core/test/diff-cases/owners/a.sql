create table kept (id int primary key, n serial);
create view kept_view as select id from kept;
create function f() returns int language sql as $$ select 1 $$;
create type mood as enum ('ok');
alter table kept owner to schemainspect_test_role;
