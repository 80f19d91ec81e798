create schema old_stuff;
create table old_stuff.t (id int);
create view old_stuff.v as select * from old_stuff.t;
