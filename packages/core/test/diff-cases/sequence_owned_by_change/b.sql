create sequence shared_ids;
create table a_things (id int primary key default nextval('shared_ids'));
create table b_things (id int primary key default nextval('shared_ids'));
alter sequence shared_ids owned by a_things.id;
create sequence orphan_seq;
create table c_things (id int primary key, n int);
