create table secrets (id int primary key, owner text, body text);
create view my_secrets with (security_barrier) as select id, body from secrets where owner = current_user;
create view all_secrets as select id, owner from secrets;
