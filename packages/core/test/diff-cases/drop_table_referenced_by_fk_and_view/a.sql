create table customers (id int primary key, name text not null);
create table orders (id int primary key, customer_id int references customers (id) on delete cascade, total numeric);
create view customer_orders as select c.name, o.total from customers c join orders o on o.customer_id = c.id;
create view order_totals as select customer_id, sum(total) as total from orders group by customer_id;
insert into customers values (1, 'x');
insert into orders values (1, 1, 10);
