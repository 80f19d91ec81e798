create table prices (id int primary key, amount integer, label varchar(10));
create view price_list as select id, amount, label from prices;
insert into prices values (1, 10, 'a');
