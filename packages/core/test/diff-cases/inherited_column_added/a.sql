create table vehicles (id int, name text);
create table cars (doors int) inherits (vehicles);
create table bikes () inherits (vehicles);
