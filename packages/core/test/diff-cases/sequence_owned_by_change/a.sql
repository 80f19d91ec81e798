create sequence shared_ids;
create table a_things (id int primary key default nextval('shared_ids'));
create table b_things (id int primary key default nextval('shared_ids'));
create sequence orphan_seq;
create table c_things (id int primary key, n int);
alter sequence orphan_seq owned by c_things.n;
