create table vehicles (id int, name text, wheels int default 4);
create table cars (doors int) inherits (vehicles);
create table bikes () inherits (vehicles);
alter table bikes alter column wheels set default 2;
