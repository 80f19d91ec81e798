create sequence counter as integer;
create sequence ticket_seq increment by 1 cache 1;
create table t (id int default nextval('counter'));
