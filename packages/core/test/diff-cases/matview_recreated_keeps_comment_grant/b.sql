create table sales (id int primary key, amount bigint);
create materialized view sales_total as select sum(amount) as total, count(*) as n from sales;
comment on materialized view sales_total is 'totals';
comment on column sales_total.total is 'the total';
grant select on sales_total to schemainspect_test_role;
