create table orders (id int primary key, customer_id int, total numeric);
create view order_totals as select customer_id, sum(total) as total from orders group by customer_id;
