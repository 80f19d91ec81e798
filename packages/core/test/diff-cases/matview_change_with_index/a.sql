create table sales (id int primary key, region text, amount numeric);
create materialized view sales_by_region as select region, sum(amount) as total from sales group by region;
create unique index sales_by_region_region on sales_by_region(region);
insert into sales values (1, 'eu', 10);
