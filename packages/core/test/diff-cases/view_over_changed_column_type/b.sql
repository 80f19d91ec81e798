create table prices (id int primary key, amount numeric(12,2), label varchar(10));
create view price_list as select id, amount, label from prices;
