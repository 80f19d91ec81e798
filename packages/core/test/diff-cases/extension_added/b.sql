create extension citext;
create table t (id int, name citext);
