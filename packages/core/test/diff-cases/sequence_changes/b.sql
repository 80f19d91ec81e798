create sequence counter as bigint;
create sequence ticket_seq increment by 10 minvalue 100 start with 100 cache 20 cycle;
create table t (id int default nextval('counter'));
