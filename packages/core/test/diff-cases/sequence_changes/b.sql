create sequence counter as bigint;
create sequence ticket_seq increment by 10 start with 100 cache 20 cycle maxvalue 1000000;
create table t (id int default nextval('counter'));
