create schema app;
alter default privileges in schema app grant select on tables to schemainspect_test_role;
alter default privileges grant usage on types to schemainspect_test_role;
create table app.early (id int);
